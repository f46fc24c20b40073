import { Agent } from 'node:http';
import autocannon from 'autocannon';
import type { CompiledWaas } from '../src/policy/compiled-policy.js';
import { WaasProxy } from '../src/waas/proxy.js';
import { childrenOf } from '../test/support/proc-children.js';
import { freePort, startTestAppProcess } from '../test/waas/test-app.js';
import type { BenchResult } from './bench-result.js';
import { BENCH_HEADERS, get } from './http-get.js';
import { startStaticUpstream } from './static-upstream.js';
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

interface Started {
  proxy: WaasProxy;
  port: number;
}

interface Pass {
  direct: Latency;
  through: Latency[];
  /** nginx CPU per request of each proxy in `through`, in ms. */
  cpuMs: number[];
}

/**
 * One side-by-side pass: the app direct and each proxy in `proxies`, one request to each in turn
 * (see {@link latencies}), with each proxy's nginx CPU per request.
 */
async function sideBySide(appPort: number, proxies: Started[]): Promise<Pass> {
  const rounds = 5;
  const perRound = 600;
  const cpu0 = await Promise.all(proxies.map((p) => nginxCpu(p.proxy.pids)));
  const [direct, ...through] = await latencies([appPort, ...proxies.map((p) => p.port)], rounds, perRound);
  const cpu1 = await Promise.all(proxies.map((p) => nginxCpu(p.proxy.pids)));
  const n = rounds * perRound;
  return { direct: direct!, through, cpuMs: cpu1.map((c, i) => ((c - cpu0[i]!) / n) * 1000) };
}

/** A pass's figures for its first proxy (all nine protections), named after `label`. */
const sideRows = (label: string, pass: Pass): BenchResult[] => [
  { name: `${label}: latency p50 direct`, value: pass.direct.p50, unit: 'ms' },
  { name: `${label}: latency p50 through WAAS`, value: pass.through[0]!.p50, unit: 'ms' },
  { name: `${label}: nginx CPU per request, WAAS (all protections)`, value: pass.cpuMs[0]!, unit: 'ms' },
  {
    name: `${label}: added latency p99, all protections (median of rounds)`,
    value: addedP99(pass.through[0]!, pass.direct),
    unit: 'ms',
  },
];

/**
 * WAAS proxy (prevent, paranoia 1) versus the app direct, side by side: with all nine protections
 * (the target), with the issue's five, with ModSecurity off (the two nginx hops alone) and on glibc's
 * malloc. The app is an nginx in a process of its own that answers at once (`startStaticUpstream`):
 * its latency is in the direct and the proxied figures alike, and a quiet one leaves the proxy's.
 * One more pass puts the proxy in front of the Node test app, whose garbage collector competes with
 * nginx for the machine's two vCPUs, as an app's does in a small task.
 *
 * Each configuration is measured in a pass of its own against the app direct, as a task runs one
 * proxy. Proxies taking turns request by request evict each other's rules from the CPU caches:
 * with four, every request met cold caches and the WAAS p50 was 1.0-1.2 ms against 0.6-0.7 ms with
 * one, alternating in one run (docs/waas.md). That arrangement is kept as a last pass, printed but
 * not held to the target: what a proxy costs when other large processes run between its requests,
 * and the CPU comparisons (allocator, protections), which need the same moments of the machine.
 */
export async function bench(): Promise<BenchResult[]> {
  const app = await startStaticUpstream();
  // The test app, a Node process: its garbage collector competes with the proxy for the vCPUs.
  const nodeApp = await startTestAppProcess().catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  /** A proxy on a free port in front of the app (or `upstreamPort`), started with `waas`. */
  const startProxy = async (
    waas: CompiledWaas,
    allocator?: null,
    upstreamPort = app.port,
  ): Promise<Started> => {
    const port = await freePort();
    const proxy = new WaasProxy({
      listenPort: port,
      upstreamPort,
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
    const beforeNode = await startProxy(everything, undefined, nodeApp.port);
    started.push(beforeNode.proxy);
    const target = await sideBySide(app.port, [all]);
    const withFive = await sideBySide(app.port, [issue]);
    const hops = await sideBySide(app.port, [plain]);
    const withNode = await sideBySide(nodeApp.port, [beforeNode]);
    // All four in turn: cold caches, and the CPU comparisons made at the same moments.
    const cold = await sideBySide(app.port, [all, issue, plain, glibc]);
    const directRps = await throughput(app.port);
    const proxiedRps = await throughput(all.port);
    const { direct } = target;
    const [waas] = target.through;
    const added = addedP99(waas!, direct);
    return [
      { name: 'requests/s direct (10 connections)', value: directRps, unit: 'req/s' },
      { name: 'requests/s through WAAS', value: proxiedRps, unit: 'req/s' },
      { name: 'latency p50 direct (an nginx app in its own process)', value: direct.p50, unit: 'ms' },
      { name: 'latency p50 through WAAS', value: waas!.p50, unit: 'ms' },
      { name: 'latency p99 direct', value: direct.p99, unit: 'ms' },
      { name: 'latency p99 through WAAS', value: waas!.p99, unit: 'ms' },
      { name: 'latency p50 through nginx, ModSecurity off', value: hops.through[0]!.p50, unit: 'ms' },
      { name: 'latency p99 through nginx, ModSecurity off', value: hops.through[0]!.p99, unit: 'ms' },
      { name: 'nginx CPU per request, WAAS (all protections)', value: target.cpuMs[0]!, unit: 'ms' },
      {
        name: "nginx CPU per request, WAAS (the issue's five protections)",
        value: withFive.cpuMs[0]!,
        unit: 'ms',
      },
      { name: 'nginx CPU per request, ModSecurity off', value: hops.cpuMs[0]!, unit: 'ms' },
      {
        name: "cold caches: nginx CPU per request, WAAS on glibc's malloc over jemalloc (default)",
        value: cold.cpuMs[3]! / cold.cpuMs[0]!,
        unit: 'x',
      },
      {
        name: "cold caches: nginx CPU per request, the issue's five protections over all nine",
        value: cold.cpuMs[1]! / cold.cpuMs[0]!,
        unit: 'x',
      },
      ...sideRows('in front of the Node test app', withNode),
      ...sideRows('cold caches (the four proxies in turn)', cold),
      { name: 'added latency p50', value: waas!.p50 - direct.p50, unit: 'ms' },
      {
        name: 'added latency p99, all samples of the rounds',
        value: waas!.p99All - direct.p99All,
        unit: 'ms',
      },
      {
        name: "added latency p99, the issue's five protections (median of rounds)",
        value: addedP99(withFive.through[0]!, withFive.direct),
        unit: 'ms',
      },
      {
        name: 'added latency p99, all protections (median of 5 rounds)',
        value: added,
        unit: 'ms',
        target: '< 2 ms',
        ok: added < 2,
      },
    ];
  } finally {
    for (const proxy of started.reverse()) await proxy.stop();
    await nodeApp.close();
    await app.close();
  }
}
