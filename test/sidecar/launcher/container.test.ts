import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildClient,
  mechanismEnv,
  policy,
  prepareLauncherTest,
  readAudits,
  run,
  writePolicy,
} from './harness.js';

// The launcher in a real container, on Fargate's terms: every capability dropped but SYS_PTRACE, the
// runtime's default seccomp profile, PID 1, the policy and audit folders as volumes.
const image = `localhost/ecsadm-launcher-test:${process.pid}`;
let dir: string;
let audits: string;

beforeAll(() => {
  const prepared = prepareLauncherTest('launcher-container', 'podman', 'runc', 'busybox');
  const launcher = prepared.launcher;
  dir = prepared.dir;
  const root = join(dir, 'root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'ecs-admission/bin'), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of ['sh', 'env', 'mkdir', 'sleep']) symlinkSync('busybox', join(root, 'bin', applet));
  copyFileSync(launcher, join(root, 'ecs-admission/bin/launcher'));
  buildClient(join(root, 'bin'), 'connect', 'musl');
  execFileSync('tar', ['-C', root, '-cf', join(dir, 'root.tar'), '.']);
  execFileSync('podman', ['import', '-q', join(dir, 'root.tar'), image], { stdio: 'pipe' });
  const policies = join(dir, 'policy');
  mkdirSync(policies);
  writePolicy(
    join(policies, 'app.json'),
    policy({
      rule: 'container-rule',
      processes: { effect: 'prevent', deny: ['mkdir'] },
      network: { effect: 'prevent', deny: ['127.0.0.1:9'] },
    }),
  );
  audits = join(dir, 'audit');
  mkdirSync(audits);
  chmodSync(audits, 0o777);
});

afterAll(() => {
  try {
    execFileSync('podman', ['rmi', '-f', image], { stdio: 'pipe' });
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
});

function podmanArgs(name: string, command: string[], detach = false): string[] {
  return [
    '--runtime',
    'runc',
    'run',
    ...(detach ? ['-d'] : ['--rm']),
    '--name',
    name,
    '--network',
    'none',
    '--cap-drop=all',
    '--cap-add=SYS_PTRACE',
    '-v',
    `${join(dir, 'policy')}:/ecs-admission/policy:ro`,
    '-v',
    `${audits}:/ecs-admission-audit`,
    '-e',
    'ECS_ADMISSION_POLICY_FILE=/ecs-admission/policy/app.json',
    '-e',
    `ECS_ADMISSION_AUDIT_FILE=/ecs-admission-audit/${name}.ndjson`,
    '-e',
    'ECS_ADMISSION_FAMILY=container-test',
    '-e',
    `ECS_ADMISSION_CONTAINER=${name}`,
    ...Object.entries(mechanismEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    '--entrypoint',
    '/ecs-admission/bin/launcher',
    image,
    '--',
    ...command,
  ];
}

describe('Function: launcher (in a container with only SYS_PTRACE)', () => {
  it('enforces process and network rules as PID 1', async () => {
    // Prepare
    const name = `ecsadm-lc-${process.pid}-a`;
    const script = 'echo pid1=$(cat /proc/1/comm); env mkdir /made; connect 127.0.0.1 9; exit 7';

    // Act
    const result = await run('podman', podmanArgs(name, ['/bin/sh', '-c', script]), { timeoutMs: 60_000 });

    // Assess
    expect(result.stdout).toBe('pid1=launcher\nerror Connection refused\n');
    expect(result.stderr).toContain("can't execute 'mkdir': Operation not permitted");
    expect(result.code).toBe(7);
    const lines = readAudits(join(audits, `${name}.ndjson`));
    expect(lines.map((a) => [a.kind, a.effect, a.container])).toEqual([
      ['process', 'prevent', name],
      ['network', 'prevent', name],
    ]);
    expect(lines[1]?.details).toMatchObject({ address: '127.0.0.1', port: 9, protocol: 'tcp' });
  });

  it('forwards the SIGTERM of a container stop to the command', async () => {
    // Prepare
    const name = `ecsadm-lc-${process.pid}-b`;
    const script = 'trap "exit 42" TERM; while :; do sleep 0.1; done';
    const started = await run('podman', podmanArgs(name, ['/bin/sh', '-c', script], true), {
      timeoutMs: 60_000,
    });
    expect(started.code).toBe(0);

    try {
      // Act
      await run('podman', ['stop', '-t', '10', name], { timeoutMs: 60_000 });
      const inspected = await run('podman', ['inspect', '-f', '{{.State.ExitCode}}', name]);

      // Assess
      expect(inspected.stdout.trim()).toBe('42');
    } finally {
      await run('podman', ['rm', '-f', name]);
    }
  });
});
