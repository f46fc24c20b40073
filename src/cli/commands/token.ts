import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { ensureSigningKey } from '../../local/local-secrets.js';
import { LOCAL_ACCOUNT } from '../../local/local-stack.js';
import { mintDefenderToken } from '../../policy/defender-token.js';
import { CliError, EXIT } from '../exit-codes.js';

const USAGE = `Usage: ecs-admission token --family FAMILY [--data DIR] [--account ACCOUNT] [--ttl DURATION]

Prints a defender token for task family FAMILY, signed with the local stack's key (DIR/signing-key,
created if missing). The sidecar sends it as "Authorization: Bearer TOKEN".

  --family F     ECS task family the token reads policies and posts audits for (required);
                 "*" mints an account-wide token (one shared secret for every task; isolates accounts only)
  --data DIR     the local stack's data folder (default: .ecs-admission)
  --account A    12-digit AWS account ID (default: ${LOCAL_ACCOUNT})
  --ttl D        lifetime: seconds, or a number with s, m, h or d (default: 365d)
`;

/** Parses `90`, `90s`, `15m`, `12h`, `30d` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match)
    throw new CliError(`--ttl: expected seconds or a number with s, m, h or d (e.g. 30d), got "${text}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0) throw new CliError('--ttl: must be positive');
  return seconds;
}

/** `ecs-admission token --family F`: mints a defender token for the local stack. */
export async function run(argv: string[]): Promise<number> {
  let values: { help?: boolean; family?: string; data?: string; account?: string; ttl?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        family: { type: 'string' },
        data: { type: 'string' },
        account: { type: 'string' },
        ttl: { type: 'string' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, EXIT.usage);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (!values.family) throw new CliError(`--family is required\n\n${USAGE}`);
  const ttlSeconds = values.ttl === undefined ? undefined : parseDuration(values.ttl);
  const key = await ensureSigningKey(values.data ?? '.ecs-admission');
  let token: string;
  try {
    token = mintDefenderToken(
      {
        account: values.account ?? LOCAL_ACCOUNT,
        family: values.family,
        ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      },
      key,
    );
  } catch (error) {
    if (error instanceof ZodError) {
      const problems = error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ');
      throw new CliError(problems, EXIT.usage);
    }
    throw error;
  }
  if (values.family === '*') {
    process.stderr.write(
      'ecs-admission token: account-wide token: any task holding it can read the policy of any family of the account\n',
    );
  }
  process.stdout.write(`${token}\n`);
  return EXIT.ok;
}
