import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { tokenMinter } from '../../admission/twin-token.js';
import { type AccountFile, AccountFileSchema } from '../../local/ecs-simulator/account-file.js';
import type { CloudTrailEnvelope } from '../../local/ecs-simulator/cloudtrail-event.js';
import { type FaultSpec, FaultSpecError, parseFaultSpec } from '../../local/ecs-simulator/fault-spec.js';
import { ensureSigningKey } from '../../local/local-secrets.js';
import { CliError, EXIT } from '../exit-codes.js';
import { embedConfigFrom, parseEmbedArgs } from './embed-options.js';

const USAGE = `Usage: ecs-admission simulate --account FILE --events FILE [options]

Loads an account into the local ECS simulator, replays EventBridge events (JSON array, one JSON
object, or NDJSON) through the real admission handler, lets follow-up events settle, runs the
sweep once, and writes the final state, every decision and the API call counts as JSON.

  --account FILE   account: {"account","region","taskDefinitions":[...],"clusters":[...]}
  --events FILE    recorded events (EventBridge envelopes or bare CloudTrail records)
  --config FILE    embed configuration (JSON or YAML, as for "embed --config")
  --mode MODE      enforce (default) or audit
  --faults SPEC    e.g. throttle=0.2,server-error=0.05,concurrent-revision=0.1,duplicate=0.3,delay=0.2
  --seed N         seed of the fault injector (default 1)
  --out FILE       where to write the result (default: stdout)
  --data DIR       the local stack's data folder: protected twins carry defender tokens signed
                   with its key (DIR/signing-key, created if missing), as "ecs-admission token"
                   mints them (default: .ecs-admission)
`;

async function readJsonFile(flag: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`--${flag} ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : code})`);
  }
}

/** A JSON array, one JSON object, or NDJSON: users have events in all three forms. */
export function parseEventsText(text: string, file: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const whole: unknown = JSON.parse(trimmed);
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    // Not one JSON document: read it as NDJSON below.
  }
  return trimmed
    .split('\n')
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line !== '')
    .map(({ line, i }) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new CliError(
          `--events ${file}: line ${i + 1} is not valid JSON (expected a JSON array or NDJSON)`,
          EXIT.invalidInput,
        );
      }
    });
}

export function parseAccountText(text: string, file: string): AccountFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--account ${file}: not valid JSON: ${(error as Error).message}`, EXIT.invalidInput);
  }
  const parsed = AccountFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`);
    throw new CliError(`--account ${file}: ${problems.join('; ')}`, EXIT.invalidInput);
  }
  return parsed.data;
}

/** `ecs-admission simulate`: replay recorded events against a simulated account. */
export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        account: { type: 'string' },
        events: { type: 'string' },
        config: { type: 'string' },
        mode: { type: 'string' },
        faults: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        data: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, EXIT.usage);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const accountFile = values.account;
  const eventsFile = values.events;
  if (typeof accountFile !== 'string' || typeof eventsFile !== 'string') {
    throw new CliError(`--account and --events are required\n\n${USAGE}`, EXIT.usage);
  }
  const mode = values.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'audit')
    throw new CliError(`--mode: expected enforce or audit, got "${mode}"`);
  const seedText = typeof values.seed === 'string' ? values.seed : '1';
  if (!/^\d+$/.test(seedText)) throw new CliError(`--seed: expected a whole number, got "${seedText}"`);
  let faults: FaultSpec | undefined;
  if (typeof values.faults === 'string') {
    try {
      faults = parseFaultSpec(values.faults);
    } catch (error) {
      if (error instanceof FaultSpecError) throw new CliError(error.message);
      throw error;
    }
  }
  const account = parseAccountText(await readJsonFile('account', accountFile), accountFile);
  const events = parseEventsText(await readJsonFile('events', eventsFile), eventsFile);
  const embed = await embedConfigFrom(
    parseEmbedArgs(typeof values.config === 'string' ? ['--config', values.config] : []).values,
  );

  const signingKey = await ensureSigningKey(typeof values.data === 'string' ? values.data : '.ecs-admission');

  // The replay pulls in the AWS SDK, dynalite and the simulator: load it only now.
  const { startAdmissionReplay } = await import('../../local/admission-replay.js');
  let replay: Awaited<ReturnType<typeof startAdmissionReplay>>;
  try {
    replay = await startAdmissionReplay({
      account,
      embed,
      mode,
      ...(faults ? { faults } : {}),
      seed: Number(seedText),
      tokenFor: tokenMinter(() => signingKey, Date.now),
    });
  } catch (error) {
    throw new CliError(`--account ${accountFile}: ${(error as Error).message}`, EXIT.invalidInput);
  }
  try {
    // Recorded events go through the same delivery as the simulator's own: faults apply to both.
    for (const event of events) replay.sim.events.push(event as CloudTrailEnvelope);
    await replay.settle();
    await replay.sweep();
    await replay.settle();
    const report = replay.report();
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (typeof values.out === 'string') await writeFile(values.out, text);
    else process.stdout.write(text);
    const counts = new Map<string, number>();
    for (const d of report.decisions) counts.set(d.outcome, (counts.get(d.outcome) ?? 0) + 1);
    const summary = [...counts].map(([k, v]) => `${v} ${k}`).join(', ') || 'no decisions';
    const calls = Object.values(report.apiCalls).reduce((a, b) => a + b, 0);
    process.stderr.write(
      `simulate: ${events.length} event(s), ${replay.deliveries} deliveries; ${summary}; ${calls} ECS API calls` +
        (replay.deadLetters.length > 0 ? `; ${replay.deadLetters.length} event(s) failed every retry` : '') +
        '\n',
    );
    for (const dead of replay.deadLetters) process.stderr.write(`simulate: dead letter: ${dead.error}\n`);
    return replay.deadLetters.length > 0 ? EXIT.cannotProtect : EXIT.ok;
  } finally {
    await replay.close();
  }
}
