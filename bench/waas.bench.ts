import { Agent } from 'node:http';
import autocannon from 'autocannon';
import type { CompiledWaas } from '../src/policy/compiled-policy.js';
import { WaasProxy } from '../src/waas/proxy.js';
import { childrenOf } from '../test/support/proc-children.js';
import { freePort, startTestAppProcess } from '../test/waas/test-app.js';
import type { BenchResult } from './bench-result.js';
import { BENCH_HEADERS, get } from './http-get.js';
import { median, percentile } from './stats.js';

/** CPU seconds (user + system) used so far by the proxy's nginx masters and their workers. */
async function nginxCpu(pids: number[]): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const all: string[] = [];
  for (const pid of pids) {
    all.push(String(pid), ...(await childrenOf(pid)).map(String));
  }
  let ticks = 0;
  for (const p of all) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / 100;
}

interface Latency {
  /** Median over the rounds of each round's percentile, in ms. */
  p50: number;
  p99: number;
  /** The 99th percentile of every sample of every round, in ms. */
  p99All: number;
  /** Each round's p99, in ms, for the added latency taken round by round. */
  p99ByRound: number[];
}

/**
 * Sequential keep-alive requests to each port in turn (one request to each, repeated), so every
 * target sees the same machine load, in `rounds` rounds of `perRound` requests each. Each figure is
 * the median of the rounds' figures: a burst of host steal on this shared VM spoils one round, not
 * the result (the all-samples p99 is returned beside it).
 */
async function latencies(ports: number[], rounds: number, perRound: number): Promise<Latency[]> {
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const byRound: number[][][] = ports.map(() => []);
  for (let i = 0; i < 200; i++) {
    for (const [k, port] of ports.entries()) await get(agents[k]!, { port }, '/warm?x=1');
  }
  for (let r = 0; r < rounds; r++) {
    const samples: number[][] = ports.map(() => []);
    for (let i = 0; i < perRound; i++) {
      for (const [k, port] of ports.entries()) {
        const t = process.hrtime.bigint();
        await get(agents[k]!, { port }, `/item?id=${r * perRound + i}&q=shoes`);
        samples[k]!.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
    for (const [k, s] of samples.entries()) byRound[k]!.push(s.sort((x, y) => x - y));
  }
  for (const a of agents) a.destroy();
  return byRound.map((rs) => ({
    p50: median(rs.map((s) => percentile(s, 50))),
    p99: median(rs.map((s) => percentile(s, 99))),
    p99All: percentile(
      rs.flat().sort((x, y) => x - y),
      99,
    ),
    p99ByRound: rs.map((s) => percentile(s, 99)),
  }));
}

/** Added p99 of `through` over `direct`: the median of the rounds' differences, in ms. */
const addedP99 = (through: Latency, direct: Latency) =>
  median(through.p99ByRound.map((p, r) => p - (direct.p99ByRound[r] ?? 0)));

async function throughput(port: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/item?id=1&q=shoes`,
    connections: 10,
    duration: 4,
    headers: BENCH_HEADERS,
  });
  return result.requests.average;
}

/**
 * WAAS proxy (prevent, paranoia 1) versus the app direct, side by side: with all nine protections
 * (the target), with the issue's five, with ModSecurity off (the two nginx hops alone) and on glibc's
 * malloc. The app runs in a process of its own, as an app container does beside the sidecar.
 */
export async function bench(): Promise<BenchResult[]> {
  const app = await startTestAppProcess();
  /** A proxy on a free port in front of the app, started with `waas`. */
  const startProxy = async (waas: CompiledWaas, allocator?: null) => {
    const port = await freePort();
    const proxy = new WaasProxy({
      listenPort: port,
      upstreamPort: app.port,
      auditFile: '/dev/null',
      family: 'bench',
      container: 'app',
      rule: null,
      ...(allocator === null ? { allocator } : {}),
    });
    await proxy.start(waas);
    return { proxy, port };
  };
  const everything: CompiledWaas = {
    effect: 'prevent',
    protections: ['sqli', 'xss', 'lfi', 'rce', 'protocol', 'rfi', 'php', 'java', 'session'],
    paranoiaLevel: 1,
  };
  const five: CompiledWaas = { ...everything, protections: ['sqli', 'xss', 'lfi', 'rce', 'protocol'] };
  const started: WaasProxy[] = [];
  try {
    const all = await startProxy(everything);
    started.push(all.proxy);
    const issue = await startProxy(five);
    started.push(issue.proxy);
    // The same nginx layers with ModSecurity off: separates the proxy hops from the inspection.
    const plain = await startProxy({ effect: 'disable', protections: [], paranoiaLevel: 1 });
    started.push(plain.proxy);
    // The same WAAS on glibc's malloc: what the default jemalloc preload saves.
    const glibc = await startProxy(everything, null);
    started.push(glibc.proxy);
    const proxies = [all, issue, plain, glibc];
    const cpu0 = await Promise.all(proxies.map((p) => nginxCpu(p.proxy.pids)));
    const rounds = 5;
    const perRound = 600;
    const [direct, waas, waasFive, bare] = await latencies(
      [app.port, ...proxies.map((p) => p.port)],
      rounds,
      perRound,
    );
    const n = rounds * perRound;
    const cpuMs = (await Promise.all(proxies.map((p) => nginxCpu(p.proxy.pids)))).map(
      (c, i) => ((c - cpu0[i]!) / n) * 1000,
    );
    const directRps = await throughput(app.port);
    const proxiedRps = await throughput(all.port);
    const added = addedP99(waas!, direct!);
    return [
      { name: 'requests/s direct (10 connections)', value: directRps, unit: 'req/s' },
      { name: 'requests/s through WAAS', value: proxiedRps, unit: 'req/s' },
      { name: 'latency p50 direct (app in its own process)', value: direct!.p50, unit: 'ms' },
      { name: 'latency p50 through WAAS', value: waas!.p50, unit: 'ms' },
      { name: 'latency p99 direct', value: direct!.p99, unit: 'ms' },
      { name: 'latency p99 through WAAS', value: waas!.p99, unit: 'ms' },
      { name: 'latency p50 through nginx, ModSecurity off', value: bare!.p50, unit: 'ms' },
      { name: 'latency p99 through nginx, ModSecurity off', value: bare!.p99, unit: 'ms' },
      { name: 'nginx CPU per request, WAAS (all protections)', value: cpuMs[0]!, unit: 'ms' },
      { name: "nginx CPU per request, WAAS (the issue's five protections)", value: cpuMs[1]!, unit: 'ms' },
      { name: 'nginx CPU per request, ModSecurity off', value: cpuMs[2]!, unit: 'ms' },
      {
        name: "nginx CPU per request, WAAS on glibc's malloc (no jemalloc preload)",
        value: cpuMs[3]!,
        unit: 'ms',
      },
      { name: 'added latency p50', value: waas!.p50 - direct!.p50, unit: 'ms' },
      {
        name: 'added latency p99, all samples of the rounds',
        value: waas!.p99All - direct!.p99All,
        unit: 'ms',
      },
      {
        name: "added latency p99, the issue's five protections (median of rounds)",
        value: addedP99(waasFive!, direct!),
        unit: 'ms',
      },
      {
        name: `added latency p99, all protections (median of ${rounds} rounds)`,
        value: added,
        unit: 'ms',
        target: '< 2 ms',
        ok: added < 2,
      },
    ];
  } finally {
    for (const proxy of started.reverse()) await proxy.stop();
    await app.close();
  }
}
