import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakePolicyServer } from '../test/sidecar/agent/fake-policy-server.js';
import { audit, policy, tempLayout, waitFor } from '../test/sidecar/agent/helpers.js';
import type { BenchResult } from './bench-result.js';

const AGENT_NODE_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1', '--lite-mode'];

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** Peak and settled RSS of the bundled agent (as the sidecar image runs it) with N containers, after shipping 5,000 audits. */
async function measure(containers: number): Promise<{ settled: number; peak: number }> {
  const server = await new FakePolicyServer().start();
  const names = Array.from({ length: containers }, (_, i) => `c${i}`);
  for (const name of names) server.policies[name] = policy('v1');
  const layout = await tempLayout();
  // The same V8 flags as the sidecar image's entry point (sidecar/Dockerfile, sidecar/build-image.sh).
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, 'dist/sidecar/agent.mjs'], {
    env: {
      PATH: process.env.PATH,
      ECS_ADMISSION_POLICY_URL: server.url,
      ECS_ADMISSION_TOKEN: server.token,
      ECS_ADMISSION_FAMILY: 'web',
      ECS_ADMISSION_CONTAINERS: JSON.stringify(names.map((name) => ({ name, image: `example/${name}:1` }))),
      ECS_ADMISSION_ROOT_DIR: layout.root,
      ECS_ADMISSION_AUDIT_DIR: layout.audit,
      ECS_ADMISSION_LAUNCHER_SOURCE: layout.launcher,
      ECS_ADMISSION_POLL_SECONDS: '1',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  let peak = 0;
  const sampler = setInterval(() => {
    if (child.pid)
      void rssMiB(child.pid).then(
        (v) => (peak = Math.max(peak, v)),
        () => {},
      );
  }, 20);
  try {
    await waitFor(() => existsSync(join(layout.root, 'ready')), 15_000, 'agent ready');
    const total = 5000;
    const per = Math.ceil(total / containers);
    for (const name of names) {
      const lines = Array.from({ length: per }, (_, i) => `${JSON.stringify(audit(i, name))}\n`).join('');
      await appendFile(join(layout.audit, `${name}.ndjson`), lines);
    }
    await waitFor(() => server.audits.length >= per * containers, 30_000, 'audits shipped');
    await new Promise((r) => setTimeout(r, 1500));
    const settled = await rssMiB(child.pid ?? 0);
    return { settled, peak: Math.max(peak, settled) };
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await server.stop();
  }
}

/** Agent RSS (target < 64 MiB) with 1 and 10 app containers. */
export async function bench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const n of [1, 10]) {
    const { settled, peak } = await measure(n);
    results.push({
      name: `agent RSS, ${n} container(s), after 5k audits`,
      value: settled,
      unit: 'MiB',
      target: '< 64 MiB',
      ok: settled < 64,
    });
    results.push({
      name: `agent peak RSS, ${n} container(s)`,
      value: peak,
      unit: 'MiB',
      target: '< 64 MiB',
      ok: peak < 64,
    });
  }
  return results;
}
