import { parseArgs } from 'node:util';
import { EMBED_VERSION, inspectProtection } from '../../embed/marker.js';
import { parseTaskDefinitionJson } from '../../taskdef/parse-input.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readInputText } from './read-input.js';

const USAGE = `Usage: ecs-admission check FILE|-

Exit status 0 when the task definition is protected by the current embed version (${EMBED_VERSION}),
1 when it is not (saying why), 2 when it is not a valid task definition.
`;

function parseCheckArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, EXIT.usage);
  }
}

/** `ecs-admission check FILE`: is this task definition protected by the current embed version? */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCheckArgs(argv);
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0)
    throw new CliError(`expected one task definition file\n\n${USAGE}`);
  const result = parseTaskDefinitionJson(await readInputText(file));
  if (!result.ok) {
    const problems = result.errors.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    process.stderr.write(`ecs-admission check: ${file} is not a valid task definition:\n${problems}\n`);
    return EXIT.invalidInput;
  }
  const protection = inspectProtection(result.request);
  const name = result.request.family;
  if (protection.protected && protection.current) {
    process.stdout.write(
      `${name}: protected by embed version ${protection.embedVersion} (source ${protection.source})\n`,
    );
    return EXIT.ok;
  }
  process.stdout.write(`${name}: not protected by embed version ${EMBED_VERSION}: ${protection.reason}\n`);
  return EXIT.notProtected;
}
