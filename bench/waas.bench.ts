import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import type { CompiledWaas } from '../src/policy/compiled-policy.js';
import { WaasProxy } from '../src/waas/proxy.js';
import { freePort, startTestApp } from '../test/waas/test-app.js';
import type { BenchResult } from './bench-result.js';

const HEADERS = { host: 'app.example.com', 'user-agent': 'bench/1.0', accept: '*/*' };

function once(agent: Agent, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: HEADERS }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** CPU seconds (user + system) used so far by the proxy's nginx masters and their workers. */
async function nginxCpu(pids: number[]): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const all: string[] = [];
  for (const pid of pids) {
    const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
      .split(/\s+/)
      .filter(Boolean);
    all.push(String(pid), ...kids);
  }
  let ticks = 0;
  for (const p of all) {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / 100;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * Sequential keep-alive requests to each port in turn (one request to each, repeated), so every
 * target sees the same machine load; returns p50/p99 per port in ms.
 */
async function latencies(ports: number[], n: number): Promise<{ p50: number; p99: number }[]> {
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const samples: number[][] = ports.map(() => []);
  for (let i = 0; i < 200; i++) {
    for (const [k, port] of ports.entries()) await once(agents[k]!, port, '/warm?x=1');
  }
  for (let i = 0; i < n; i++) {
    for (const [k, port] of ports.entries()) {
      const t = process.hrtime.bigint();
      await once(agents[k]!, port, `/item?id=${i}&q=shoes`);
      samples[k]!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  for (const a of agents) a.destroy();
  return samples.map((s) => {
    s.sort((x, y) => x - y);
    return { p50: pct(s, 50), p99: pct(s, 99) };
  });
}

async function throughput(port: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/item?id=1&q=shoes`,
    connections: 10,
    duration: 4,
    headers: HEADERS,
  });
  return result.requests.average;
}

/** WAAS proxy (prevent, all protections, paranoia 1) versus the app direct, side by side. */
export async function bench(): Promise<BenchResult[]> {
  const app = await startTestApp();
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
  // The same nginx layers with ModSecurity off: separates the proxy hop from the inspection.
  const { proxy: plain, port: plainPort } = await startProxy({
    effect: 'disable',
    protections: [],
    paranoiaLevel: 1,
  });
  const { proxy, port } = await startProxy(everything);
  // The same WAAS on glibc's malloc: what the default jemalloc preload saves.
  const { proxy: glibc, port: glibcPort } = await startProxy(everything, null);
  try {
    const all = [proxy, plain, glibc];
    const cpu0 = await Promise.all(all.map((p) => nginxCpu(p.pids)));
    const n = 3000;
    const [direct, proxied, bare, onGlibc] = await latencies([app.port, port, plainPort, glibcPort], n);
    const cpu = (await Promise.all(all.map((p) => nginxCpu(p.pids)))).map((c, i) => c - cpu0[i]!);
    const l = { d50: direct!.p50, d99: direct!.p99, p50: proxied!.p50, p99: proxied!.p99 };
    const directRps = await throughput(app.port);
    const proxiedRps = await throughput(port);
    app.seen.length = 0;
    return [
      { name: 'requests/s direct (10 connections)', value: directRps, unit: 'req/s' },
      { name: 'requests/s through WAAS', value: proxiedRps, unit: 'req/s' },
      { name: 'latency p50 direct', value: l.d50, unit: 'ms' },
      { name: 'latency p50 through WAAS', value: l.p50, unit: 'ms' },
      { name: 'latency p99 direct', value: l.d99, unit: 'ms' },
      { name: 'latency p99 through WAAS', value: l.p99, unit: 'ms' },
      { name: 'latency p50 through nginx, ModSecurity off', value: bare!.p50, unit: 'ms' },
      { name: 'latency p99 through nginx, ModSecurity off', value: bare!.p99, unit: 'ms' },
      { name: 'nginx CPU per request, WAAS (all protections)', value: (cpu[0]! / n) * 1000, unit: 'ms' },
      { name: 'nginx CPU per request, ModSecurity off', value: (cpu[1]! / n) * 1000, unit: 'ms' },
      { name: "latency p50 through WAAS on glibc's malloc", value: onGlibc!.p50, unit: 'ms' },
      { name: "latency p99 through WAAS on glibc's malloc", value: onGlibc!.p99, unit: 'ms' },
      {
        name: "nginx CPU per request, WAAS on glibc's malloc (no jemalloc preload)",
        value: (cpu[2]! / n) * 1000,
        unit: 'ms',
      },
      { name: 'added latency p50', value: l.p50 - l.d50, unit: 'ms' },
      {
        name: 'added latency p99',
        value: l.p99 - l.d99,
        unit: 'ms',
        target: '< 2 ms',
        ok: l.p99 - l.d99 < 2,
      },
    ];
  } finally {
    await glibc.stop();
    await proxy.stop();
    await plain.stop();
    await app.close();
  }
}
