import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildClient,
  buildLauncher,
  createDnsNamespace,
  makeTempDir,
  policy,
  repoRoot,
  run,
  writePolicy,
} from '../test/sidecar/launcher/harness.js';
import type { BenchResult } from './bench-result.js';

/**
 * The launcher's overhead, launcher vs bare, measured side by side: alternating runs, and the fastest
 * run of each (on a shared 2-core machine the slower runs measure the neighbours, not the launcher):
 * (a) a syscall-heavy loop the filter never stops, (b) fork+exec, (c) added latency per DNS lookup;
 * plus the static binary's size. Every section of the policy is enabled, so nothing is short-cut.
 */
export async function bench(): Promise<BenchResult[]> {
  const launcher = buildLauncher();
  const dir = makeTempDir('launcher-bench');
  const ns = await createDnsNamespace();
  try {
    const filterSource = join(repoRoot, 'sidecar/launcher/src/filter.c');
    const spin = buildClient(dir, 'spin', 'musl', 'spin', [filterSource]);
    const nullTracer = buildClient(dir, 'null-tracer', 'musl', 'null-tracer', [filterSource]);
    const resolve = buildClient(dir, 'resolve', 'musl', 'resolve-musl');
    const policyFile = join(dir, 'policy.json');
    writePolicy(
      policyFile,
      policy({
        processes: { effect: 'prevent', deny: ['mkdir', '/usr/bin/nc*'] },
        dns: { effect: 'prevent', deny: ['yahoo.com'] },
        network: { effect: 'prevent', deny: ['192.0.2.0/24'] },
      }),
    );
    const withLauncher = (command: string[]) => [launcher, '--policy-file', policyFile, '--', ...command];

    /**
     * Runs each variant `rounds` times, rotating which goes first, and returns the fastest of what
     * each printed (ns): every variant sees the same machine, run after run.
     */
    const measure = async (variants: { argv: string[]; env?: Record<string, string> }[], rounds: number) => {
      const best = variants.map(() => Number.POSITIVE_INFINITY);
      for (let i = 0; i < rounds; i++) {
        for (let k = 0; k < variants.length; k++) {
          const index = (i + k) % variants.length;
          const { argv, env = {} } = variants[index]!;
          const [cmd, ...args] = argv;
          const r = await run(cmd ?? 'false', args, { env, timeoutMs: 120_000 });
          const ns = Number(r.stdout.trim().split('\n').pop());
          if (r.code !== 0 || !Number.isFinite(ns)) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
          best[index] = Math.min(best[index]!, ns);
        }
      }
      return best;
    };
    /** The command bare and under the launcher. */
    const compare = async (
      command: string[],
      rounds: number,
      prefix: string[] = [],
      env: Record<string, string> = {},
    ) => {
      const [bare, traced] = await measure(
        [
          { argv: [...prefix, ...command], env },
          { argv: [...prefix, ...withLauncher(command)], env },
        ],
        rounds,
      );
      return { bare: bare!, traced: traced! };
    };
    /** The bare command without and with extra environment. */
    const compareEnv = async (command: string[], rounds: number, extra: Record<string, string>) => {
      const [bare, traced] = await measure([{ argv: command }, { argv: command, env: extra }], rounds);
      return { bare: bare!, traced: traced! };
    };

    const syscalls = await compare([spin, 'syscalls', '1000000'], 15);
    const io = await compare([spin, 'io', '200000'], 15);
    // The same loops under the filter alone (no tracer, no launcher): what the kernel's seccomp costs.
    const filterOnly = { SPIN_FILTER: '1' };
    const syscallsFiltered = await compareEnv([spin, 'syscalls', '1000000'], 15, filterOnly);
    const ioFiltered = await compareEnv([spin, 'io', '200000'], 15, filterOnly);
    // The launcher (seccomp user notification, the default) beside its ptrace fallback and the floor of
    // that fallback's mechanism: ptrace + the filter, deciding nothing.
    const loop = [spin, 'forkexec', '200', spin];
    const [forkBare, forkTraced, forkPtrace, forkFloor] = await measure(
      [
        { argv: loop },
        { argv: withLauncher(loop), env: { ECS_ADMISSION_LAUNCHER_MECHANISM: 'notify' } },
        { argv: withLauncher(loop), env: { ECS_ADMISSION_LAUNCHER_MECHANISM: 'ptrace' } },
        { argv: [nullTracer, ...loop] },
      ],
      11,
    );
    const forkexec = { bare: forkBare!, traced: forkTraced! };
    const lookups = 200;
    const dns = await compare([resolve, 'google.com'], 9, ns.exec, { REPEAT: String(lookups) });

    const syscallRatio = syscalls.traced / syscalls.bare;
    const syscallFilterRatio = syscallsFiltered.traced / syscallsFiltered.bare;
    const ioFilterRatio = ioFiltered.traced / ioFiltered.bare;
    const ioRatio = io.traced / io.bare;
    const forkRatio = forkexec.traced / forkexec.bare;
    const addedMs = (dns.traced - dns.bare) / lookups / 1e6;
    const size = statSync(launcher).size;
    return [
      // The cheapest syscall alone measures the kernel's seccomp entry (the filter-alone row beside
      // it): a cost per syscall that any seccomp filter adds, which no launcher change removes.
      { name: 'syscall loop, getppid (untraced; worst case), launcher/bare', value: syscallRatio, unit: 'x' },
      {
        name: 'syscall loop, 4 KiB read+write (untraced), launcher/bare',
        value: ioRatio,
        unit: 'x',
        target: '<= 1.05x',
        ok: ioRatio <= 1.05,
      },
      { name: 'getppid, bare per call', value: syscalls.bare / 1e6, unit: 'ns' },
      { name: 'getppid loop, seccomp filter alone (no tracer)/bare', value: syscallFilterRatio, unit: 'x' },
      {
        name: '4 KiB read+write loop, seccomp filter alone (no tracer)/bare',
        value: ioFilterRatio,
        unit: 'x',
      },
      {
        name: 'fork+exec loop, launcher/bare',
        value: forkRatio,
        unit: 'x',
        target: '<= 1.5x',
        ok: forkRatio <= 1.5,
      },
      { name: 'fork+exec, bare per iteration', value: forkexec.bare / 200 / 1e3, unit: 'µs' },
      {
        name: 'fork+exec loop, launcher on its ptrace fallback (kernels < 5.6)/bare',
        value: forkPtrace! / forkexec.bare,
        unit: 'x',
      },
      {
        name: 'fork+exec loop, null ptrace tracer (ptrace + filter, deciding nothing)/bare',
        value: forkFloor! / forkexec.bare,
        unit: 'x',
      },
      { name: 'fork+exec, launcher per iteration', value: forkexec.traced / 200 / 1e3, unit: 'µs' },
      {
        name: 'DNS lookup, added latency (musl, UDP, via the proxy)',
        value: addedMs,
        unit: 'ms',
        target: '< 0.5 ms',
        ok: addedMs < 0.5,
      },
      { name: 'DNS lookup, bare', value: dns.bare / lookups / 1e6, unit: 'ms' },
      { name: 'launcher binary size (static, stripped)', value: size / 1024, unit: 'KiB' },
    ];
  } finally {
    await ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
