import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildClient,
  createDnsNamespace,
  type DnsNamespace,
  policy,
  prepareLauncherTest,
  readAudits,
  run,
  writePolicy,
} from './harness.js';

// The launcher runs unchanged in images that hold almost nothing: here it is PID 1 of its own PID and
// mount namespaces (as in a container), chrooted into a root filesystem the test builds, in a network
// namespace whose DNS server the test runs.
let launcher: string;
let dir: string;
let ns: DnsNamespace;

const seedsRule = policy({
  rule: 'twistlock-fargate-rule',
  processes: { effect: 'prevent', deny: ['mkdir'] },
  dns: { effect: 'prevent', deny: ['yahoo.com'] },
});

beforeAll(async () => {
  ({ launcher, dir } = prepareLauncherTest('launcher-rootfs', 'busybox', 'unshare', 'chroot', 'ip'));
  ns = await createDnsNamespace();
});

afterAll(async () => {
  await ns?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A root filesystem with the task volumes' layout and the given files. */
function makeRoot(name: string, files: (root: string) => void): string {
  const root = join(dir, name);
  for (const sub of ['proc', 'etc', 'ecs-admission/bin', 'ecs-admission/policy', 'ecs-admission-audit']) {
    mkdirSync(join(root, sub), { recursive: true });
  }
  copyFileSync(launcher, join(root, 'ecs-admission/bin/launcher'));
  // The container runtime provides resolv.conf (ECS writes the VPC resolver there).
  writeFileSync(join(root, 'etc/resolv.conf'), `nameserver ${ns.server}\n`);
  writePolicy(join(root, 'ecs-admission/policy/app.json'), seedsRule);
  files(root);
  return root;
}

function inContainer(root: string, command: string[]) {
  return run(
    ns.exec[0] ?? 'ip',
    [
      ...ns.exec.slice(1),
      'unshare',
      '--mount',
      '--pid',
      '--fork',
      `--mount-proc=${join(root, 'proc')}`,
      'chroot',
      root,
      '/ecs-admission/bin/launcher',
      '--',
      ...command,
    ],
    {
      env: {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        ECS_ADMISSION_FAMILY: 'twistlock-fargate-task',
        ECS_ADMISSION_CONTAINER: 'app',
        ECS_ADMISSION_POLICY_FILE: '/ecs-admission/policy/app.json',
        ECS_ADMISSION_AUDIT_FILE: '/ecs-admission-audit/app.ndjson',
      },
    },
  );
}

describe('Function: launcher (minimal root filesystems)', () => {
  it('enforces the seeds’ sample in a busybox image, as PID 1', async () => {
    // Prepare
    const root = makeRoot('busybox', (r) => {
      mkdirSync(join(r, 'bin'));
      copyFileSync('/usr/bin/busybox', join(r, 'bin/busybox'));
      for (const applet of ['sh', 'mkdir', 'nslookup', 'env']) symlinkSync('busybox', join(r, 'bin', applet));
    });
    const script = 'echo pid=$PPID; env mkdir /test; nslookup yahoo.com; nslookup google.com';

    // Act
    const entry = await inContainer(root, ['/bin/mkdir', '/test']);
    const shell = await inContainer(root, ['/bin/sh', '-c', script]);

    // Assess
    expect(entry.code).toBe(126);
    expect(shell.stdout).toContain('pid=1');
    expect(shell.stdout).toContain("server can't find yahoo.com: NXDOMAIN");
    expect(shell.stdout).toMatch(/Name:\s+google\.com\nAddress: 10\.53\.1\.1/);
    expect(existsSync(join(root, 'test'))).toBe(false);
    const audits = readAudits(join(root, 'ecs-admission-audit/app.ndjson'));
    expect(audits.map((a) => a.message)).toEqual([
      '/bin/mkdir launched from /ecs-admission/bin/launcher and is explicitly blocked in the runtime rule. Full command: /bin/mkdir /test',
      '/bin/busybox launched from /bin/busybox and is explicitly blocked in the runtime rule. Full command: mkdir /test',
      'DNS resolution of domain name yahoo.com triggered by /bin/busybox explicitly denied by a runtime rule',
    ]);
    expect(audits.every((a) => a.family === 'twistlock-fargate-task' && a.container === 'app')).toBe(true);
  });

  it('enforces DNS rules in an image that holds nothing but a static musl program', async () => {
    // Prepare
    const root = makeRoot('one-binary', (r) => {
      buildClient(r, 'resolve', 'musl', 'app');
    });

    // Act
    const result = await inContainer(root, ['/app', 'yahoo.com', 'google.com']);

    // Assess
    expect(result.stdout).toBe('yahoo.com error Name does not resolve\ngoogle.com ok 10.53.1.1\n');
    expect(readAudits(join(root, 'ecs-admission-audit/app.ndjson')).map((a) => a.message)).toEqual([
      'DNS resolution of domain name yahoo.com triggered by /app explicitly denied by a runtime rule',
    ]);
  });
});
