import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type CompiledWaas, CompiledWaasSchema } from '../../policy/compiled-policy.js';
import { WaasError } from '../../waas/errors.js';
import { WaasProxy } from '../../waas/proxy.js';
import { CliError, EXIT } from '../exit-codes.js';

const HELP = `Usage: ecs-admission waas --listen PORT --upstream PORT --policy-file FILE --audit-file FILE [options]

Runs the WAAS reverse proxy (nginx + ModSecurity v3 + OWASP CRS) in the foreground on loopback, in
front of an app on 127.0.0.1:UPSTREAM, exactly as the sidecar runs it. The policy file is a compiled
policy with a "waas" section (or the waas section alone), e.g.
  {"waas": {"effect": "prevent", "protections": ["sqli", "xss", "lfi", "rce", "protocol"], "paranoiaLevel": 1}}
It is re-read when it changes (nginx reloads without dropping connections). Audits of kind "waas" are
appended to the audit file as NDJSON.

Options:
  --listen PORT        port to listen on (default: the policy's exposedPort)
  --upstream PORT      the app's port on 127.0.0.1 (default: the policy's appPort)
  --policy-file FILE   compiled policy (required)
  --audit-file FILE    NDJSON audit output (required)
  --host ADDR          address to listen on (default 127.0.0.1)
  --family NAME        task family written into audits (default "local")
  --container NAME     container name written into audits (default "app")
`;

const PolicyWithWaasSchema = z
  .object({ waas: CompiledWaasSchema.optional(), rule: z.string().nullable().optional() })
  .loose();

/** The waas section and rule name of a policy file; a policy without one disables inspection. */
async function readPolicy(file: string): Promise<{ waas: CompiledWaas; rule: string | null }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      `--policy-file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      EXIT.invalidInput,
    );
  }
  // A compiled policy (with a "waas" section) or the waas section alone.
  const bare = typeof json === 'object' && json !== null && 'protections' in json;
  const parsed = (bare ? CompiledWaasSchema : PolicyWithWaasSchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `--policy-file ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message} (expected a compiled policy with a "waas" section, see docs/waas.md)`,
      EXIT.invalidInput,
    );
  }
  if (bare) return { waas: parsed.data as CompiledWaas, rule: null };
  const policy = parsed.data as z.infer<typeof PolicyWithWaasSchema>;
  return {
    waas: policy.waas ?? { effect: 'disable', protections: [], paranoiaLevel: 1 },
    rule: policy.rule ?? null,
  };
}

function port(value: string | undefined, fallback: number | undefined, flag: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new CliError(
      `${flag}: give a TCP port (1-65535)${value === undefined ? ' or set it in the policy' : ''}`,
    );
  }
  return n;
}

/** `ecs-admission waas`: the WAAS proxy in the foreground until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string' },
      'policy-file': { type: 'string' },
      'audit-file': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      family: { type: 'string', default: 'local' },
      container: { type: 'string', default: 'app' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const policyFile = values['policy-file'];
  const auditFile = values['audit-file'];
  if (!policyFile || !auditFile) throw new CliError(`--policy-file and --audit-file are required\n\n${HELP}`);
  const { waas, rule } = await readPolicy(policyFile);
  const listenPort = port(values.listen, waas.exposedPort, '--listen');
  const upstreamPort = port(values.upstream, waas.appPort, '--upstream');
  const proxy = new WaasProxy({
    listenPort,
    listenHost: values.host,
    upstreamPort,
    auditFile,
    family: values.family,
    container: values.container,
    rule,
    onError: (error) => process.stderr.write(`ecs-admission waas: ${error.message}\n`),
  });
  try {
    await proxy.start(waas);
  } catch (error) {
    if (error instanceof WaasError) throw new CliError(error.message, EXIT.internal);
    throw error;
  }
  process.stderr.write(
    `ecs-admission waas: http://${values.host}:${listenPort} -> 127.0.0.1:${upstreamPort} (effect ${waas.effect}, protections ${waas.protections.join(',') || 'none'}, paranoia ${waas.paranoiaLevel}); audits to ${auditFile}\n`,
  );
  let reloading = Promise.resolve();
  watchFile(policyFile, { interval: 500 }, () => {
    reloading = reloading.then(async () => {
      try {
        const next = await readPolicy(policyFile);
        await proxy.reload(next.waas);
        process.stderr.write(`ecs-admission waas: reloaded (effect ${next.waas.effect})\n`);
      } catch (error) {
        process.stderr.write(
          `ecs-admission waas: policy not applied, keeping the previous one: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    });
  });
  const reason = await Promise.race([
    new Promise<'signal'>((resolve) => {
      process.once('SIGINT', () => resolve('signal'));
      process.once('SIGTERM', () => resolve('signal'));
    }),
    proxy.done.then(() => 'exited' as const),
  ]);
  unwatchFile(policyFile);
  await reloading;
  await proxy.stop();
  if (reason === 'exited') {
    process.stderr.write('ecs-admission waas: nginx exited unexpectedly\n');
    return EXIT.internal;
  }
  return EXIT.ok;
}
