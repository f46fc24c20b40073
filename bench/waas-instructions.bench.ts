import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CompiledWaas } from '../src/policy/compiled-policy.js';
import { WaasProxy } from '../src/waas/proxy.js';
import { childrenOf } from '../test/support/proc-children.js';
import { freePort, startTestAppProcess } from '../test/waas/test-app.js';
import type { BenchResult } from './bench-result.js';
import { BENCH_HEADERS, get } from './http-get.js';

const run = promisify(execFile);

/** Requests counted per configuration (callgrind runs nginx about 50 times slower), after a warm-up. */
const REQUESTS = 100;
const WARM_UP = 10;

/**
 * The WAF layer's nginx (a configuration under a \`waf-N\` directory) started under callgrind,
 * which writes its counts so far, and starts counting anew, each time a request's headers are in
 * (\`ngx_http_process_request\`): in a run of identical requests, each part is one request's work
 * (the end of one, the headers of the next). \`nginx -t\` and the front run as usual.
 */
const wrapper = (out: string) => `#!/bin/sh
case "$1" in -t) exec nginx "$@" ;; esac
case "$*" in
  */waf-*) exec valgrind --tool=callgrind --dump-before=ngx_http_process_request --callgrind-out-file=${out}/cg.%p nginx "$@" ;;
esac
exec nginx "$@"
`;

/** Instructions the WAF worker executes per request for \`path\`, counted by callgrind. */
async function instructionsPerRequest(
  waas: CompiledWaas,
  path: string,
  appPort: number,
  dir: string,
): Promise<number> {
  const out = await mkdtemp(join(dir, 'out-'));
  // The worker runs as nobody when the bench runs as root, and writes its counts here.
  await chmod(out, 0o777);
  const nginxBinary = join(dir, 'nginx-under-callgrind');
  await writeFile(nginxBinary, wrapper(out), { mode: 0o755 });
  const proxy = new WaasProxy({
    listenPort: await freePort(),
    upstreamPort: appPort,
    auditFile: '/dev/null',
    family: 'bench',
    container: 'app',
    rule: null,
    nginxBinary,
    wafWorkers: 1,
  });
  await proxy.start(waas);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let worker: number | undefined;
  try {
    const master = proxy.pids[1];
    [worker] = master === undefined ? [] : await childrenOf(master);
    if (worker === undefined) throw new Error('the WAF layer has no worker to count');
    // Straight to the WAF layer's socket, with the header the front adds: only its work is counted.
    const target = { socketPath: join(proxy.workDirectory, 'waf.sock') };
    const headers = { ...BENCH_HEADERS, 'x-ecs-admission-client': '203.0.113.9' };
    for (let i = 0; i < WARM_UP + REQUESTS + 1; i++) await get(agent, target, path, headers);
  } finally {
    agent.destroy();
    await proxy.stop();
  }
  // Part 1 is the worker's start; part k + 1 ends as request k + 1 begins.
  let sum = 0;
  for (let part = WARM_UP + 2; part <= WARM_UP + REQUESTS + 1; part++) {
    const text = await readFile(join(out, `cg.${worker}.${part}`), 'utf8').catch(() => '');
    const totals = /^totals: (\d+)/m.exec(text)?.[1];
    if (totals === undefined)
      throw new Error(`callgrind wrote no count ${part} for the WAF worker ${worker}`);
    sum += Number(totals);
  }
  await rm(out, { recursive: true, force: true });
  return sum / REQUESTS;
}

/**
 * Instructions per request in the WAF layer, counted by callgrind: unlike CPU time, they do not
 * change with the moment of a shared VM, so they compare configurations (or engine versions)
 * measured hours apart. The bench's small GET with two arguments, the same without arguments, the
 * issue's five protections, and ModSecurity off.
 */
export async function bench(): Promise<BenchResult[]> {
  try {
    await run('valgrind', ['--version']);
  } catch {
    throw new Error('valgrind is not installed (Debian package valgrind)');
  }
  const app = await startTestAppProcess();
  const dir = await mkdtemp(join(tmpdir(), 'waas-instructions-'));
  await chmod(dir, 0o711);
  try {
    const all: CompiledWaas = {
      effect: 'prevent',
      protections: ['sqli', 'xss', 'lfi', 'rce', 'protocol', 'rfi', 'php', 'java', 'session'],
      paranoiaLevel: 1,
    };
    const five: CompiledWaas = { ...all, protections: ['sqli', 'xss', 'lfi', 'rce', 'protocol'] };
    const off: CompiledWaas = { effect: 'disable', protections: [], paranoiaLevel: 1 };
    const withArgs = '/item?id=1000&q=shoes';
    const allArgs = await instructionsPerRequest(all, withArgs, app.port, dir);
    const allBare = await instructionsPerRequest(all, '/item', app.port, dir);
    const fiveArgs = await instructionsPerRequest(five, withArgs, app.port, dir);
    const plain = await instructionsPerRequest(off, withArgs, app.port, dir);
    const m = (n: number) => n / 1e6;
    return [
      {
        name: `WAF instructions per request, all protections, GET ${withArgs}`,
        value: m(allArgs),
        unit: 'M',
      },
      { name: 'WAF instructions per request, all protections, GET /item', value: m(allBare), unit: 'M' },
      {
        name: 'WAF instructions per query argument (its name and value), all protections',
        value: m((allArgs - allBare) / 2),
        unit: 'M',
      },
      {
        name: `WAF instructions per request, the issue's five protections, GET ${withArgs}`,
        value: m(fiveArgs),
        unit: 'M',
      },
      { name: 'WAF instructions per request, ModSecurity off', value: m(plain), unit: 'M' },
      { name: 'WAF instructions, all protections / ModSecurity off', value: allArgs / plain, unit: 'x' },
    ];
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}
