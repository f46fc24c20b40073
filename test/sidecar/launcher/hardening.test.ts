import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, policy, prepareLauncherTest, readAudits, run, writePolicy } from './harness.js';

let launcher: string;
let dir: string;
let hardening: string;
let policyFile: string;

beforeAll(() => {
  ({ launcher, dir } = prepareLauncherTest('launcher-hard'));
  // glibc static and non-PIE: the i386 exec needs its path below 4 GiB, and linux/ headers come with gcc.
  hardening = buildClient(dir, 'hardening', 'glibc-static');
  buildClient(dir, 'marker', 'musl', 'denied');
  policyFile = join(dir, 'policy.json');
  writePolicy(policyFile, policy({ processes: { effect: 'prevent', deny: ['denied'] } }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function underLauncher(args: string[], auditFile = join(dir, 'audit.ndjson')) {
  return run(launcher, ['--policy-file', policyFile, '--audit-file', auditFile, '--', hardening, ...args]);
}

describe('Function: launcher (hardening)', () => {
  it('refuses a 32-bit int 0x80 exec that a number-only filter would let through', async () => {
    // Prepare: without the launcher the same call does run the program.
    expect(process.arch).toBe('x64');
    const program = join(dir, 'denied');
    const bare = await run(hardening, ['int80', program]);
    expect(existsSync(`${program}.ran`)).toBe(true);
    expect(bare.stdout).not.toContain('returned'); // the exec replaced the program
    rmSync(`${program}.ran`);

    // Act
    const result = await underLauncher(['int80', program]);

    // Assess
    expect(result.stdout).toContain('int80 execve returned -38 (Function not implemented)');
    expect(result.code).toBe(0);
    expect(existsSync(`${program}.ran`)).toBe(false);
  });

  it('checks execveat, by descriptor (fexecve) and relative to a directory', async () => {
    // Prepare
    const program = join(dir, 'denied');
    rmSync(`${program}.ran`, { force: true });

    // Act
    const audits = join(dir, 'execveat.ndjson');
    const byFd = await underLauncher(['execveat', program], audits);
    const byDir = await underLauncher(['execveat-dir', dir, 'denied'], audits);

    // Assess
    expect(byFd.stdout).toBe('execveat returned -1 (Operation not permitted)\n');
    expect(byDir.stdout).toBe('execveat returned -1 (Operation not permitted)\n');
    expect(existsSync(`${program}.ran`)).toBe(false);
    const paths = readAudits(audits).map((a) => a.details.path);
    expect(paths).toEqual([program, program]);
  });

  it('refuses a nested seccomp user-notification listener but allows plain filters', async () => {
    // Prepare
    const bare = await run(hardening, ['listener']);
    expect(bare.stdout).toMatch(/listener returned \d+ \(ok\)/);

    // Act
    const result = await underLauncher(['listener', 'plain']);

    // Assess
    expect(result.stdout).toContain('listener returned -1 (Operation not permitted)');
    expect(result.stdout).toContain('plain filter returned 0 (ok)');
  });

  it('refuses io_uring_setup, whose operations bypass the syscall filter', async () => {
    // Prepare
    const bare = await run(hardening, ['iouring']);
    expect(bare.stdout).toMatch(/io_uring_setup returned \d+ \(ok\)/);

    // Act
    const result = await underLauncher(['iouring']);

    // Assess
    expect(result.stdout).toContain('io_uring_setup returned -1 (Function not implemented)');
  });

  it('refuses clone(CLONE_UNTRACED), whose child would escape the tracer', async () => {
    // Prepare
    const bare = await run(hardening, ['untraced']);
    expect(bare.stdout).toContain('returned 1 (ok)');

    // Act
    const result = await underLauncher(['untraced']);

    // Assess
    expect(result.stdout).toContain('clone(CLONE_UNTRACED) returned -1 (Operation not permitted)');
    expect(readAudits(join(dir, 'audit.ndjson'))).toEqual([]);
  });
});
