import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EmbedConfigError } from '../../embed/errors.js';
import { startLocalStack } from '../../local/local-stack.js';
import { CliError, EXIT } from '../exit-codes.js';

const USAGE = `Usage: ecs-admission local [--port PORT] [--data DIR] [--account ACCOUNT] [--embed-config FILE]

Runs the local stack on http://127.0.0.1:PORT until interrupted (Ctrl-C):
  /v1/policy, /v1/audits    sidecar routes (defender tokens: ecs-admission token --family F --data DIR)
  /v1/rules, /v1/embed      admin routes ("Authorization: Bearer $(cat DIR/admin-token)")
State in DIR: rules.json, signing-key and admin-token (mode 0600), events.ndjson (every bus event).
Audits are printed as they arrive.

  --port P            port on 127.0.0.1 (default 8080; 0 picks a free one)
  --data DIR          state folder (default: .ecs-admission)
  --account A         account of local tokens and events (default 000000000000)
  --embed-config F    embed configuration (JSON) for POST /v1/embed
  --demo              also run the admission demo: ECS simulator with examples/account.json, the
                      recorded events/ replayed through the admission handler, decisions printed
`;

/** `ecs-admission local`: the policy API (and what other parts mount) on loopback. */
export async function run(argv: string[]): Promise<number> {
  let values: {
    help?: boolean;
    port?: string;
    data?: string;
    account?: string;
    'embed-config'?: string;
    demo?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        port: { type: 'string' },
        data: { type: 'string' },
        account: { type: 'string' },
        'embed-config': { type: 'string' },
        demo: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, EXIT.usage);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port: expected 0-65535, got "${values.port}"`);
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    throw new CliError('--account: expected a 12-digit AWS account ID');
  }
  let embedConfig: unknown = {};
  if (values['embed-config'] !== undefined) {
    try {
      embedConfig = JSON.parse(await readFile(values['embed-config'], 'utf8'));
    } catch (error) {
      const why =
        error instanceof SyntaxError
          ? 'not valid JSON'
          : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
      throw new CliError(`--embed-config: ${values['embed-config']}: ${why}`);
    }
  }
  const dataDir = values.data ?? '.ecs-admission';
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      dataDir,
      port,
      embedConfig,
      ...(values.account !== undefined ? { account: values.account } : {}),
      ...(values.demo
        ? {
            onStarted: async (started: Awaited<ReturnType<typeof startLocalStack>>) => {
              const { demoOptionsFor, startAdmissionDemo } = await import('../../local/admission-demo.js');
              const demo = await startAdmissionDemo(demoOptionsFor(started, process.cwd()));
              started.onClose(() => demo.close());
            },
          }
        : {}),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`port ${port} is in use: choose another with --port`);
    }
    if (error instanceof EmbedConfigError) throw new CliError(`--embed-config: ${error.message}`);
    throw error;
  }
  stack.log(`ecs-admission local: policy API on ${stack.url}/v1/ (data: ${stack.dataDir})`);
  stack.log(`  admin token: ${stack.files.adminToken}; events: ${stack.files.events}`);
  stack.log(`  defender token: ecs-admission token --family FAMILY --data ${dataDir}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stack.close();
  return EXIT.ok;
}
