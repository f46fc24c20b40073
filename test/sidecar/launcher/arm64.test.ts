import { closeSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLauncher, makeTempDir, repoRoot, requireTools, run } from './harness.js';

const arm64 = join(repoRoot, 'sidecar/launcher/build/launcher-arm64');
let dir: string;

beforeAll(() => {
  // The cross compiler (scripts/apt-packages.txt) makes the arm64 build part of every build.
  requireTools('aarch64-linux-gnu-gcc', 'qemu-aarch64');
  buildLauncher();
  dir = makeTempDir('launcher-arm64');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** ELF header fields: class, data encoding, type and machine. */
function elfHeader(path: string): { elf64: boolean; little: boolean; type: number; machine: number } {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(20);
  readSync(fd, b, 0, 20, 0);
  closeSync(fd);
  expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return { elf64: b[4] === 2, little: b[5] === 1, type: b.readUInt16LE(16), machine: b.readUInt16LE(18) };
}

// Fargate arm64 tasks (Graviton) run this binary. qemu-user runs it here; qemu does not implement
// ptrace, so what runs is everything up to the trace: start-up, arguments, the ready check, and the
// error a container without SYS_PTRACE gets.
describe('Program: launcher-arm64 (static, under qemu-aarch64)', () => {
  it('is a static 64-bit little-endian AArch64 executable', async () => {
    // Act
    const header = elfHeader(arm64);
    const interp = await run('readelf', ['-l', arm64]);

    // Assess
    expect(header).toEqual({ elf64: true, little: true, type: 2, machine: 183 });
    expect(interp.stdout).not.toContain('INTERP');
  });

  it('prints its version and answers the sidecar health check from the ready file', async () => {
    // Prepare
    const ready = join(dir, 'ready');
    writeFileSync(ready, '');

    // Act
    const version = await run('qemu-aarch64', [arm64, '--version']);
    const isReady = await run('qemu-aarch64', [arm64, '--ready-check', ready]);
    const notReady = await run('qemu-aarch64', [arm64, '--ready-check', join(dir, 'missing')]);

    // Assess
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^ecs-admission launcher \d+\.\d+\.\d+/);
    expect(isReady.code).toBe(0);
    expect(notReady.code).not.toBe(0);
  });

  it('refuses to run the command untraced and names the missing capability when ptrace is unavailable', async () => {
    // Prepare
    const policy = join(dir, 'policy.json');
    writeFileSync(
      policy,
      JSON.stringify({
        version: 'v1',
        rule: 'r',
        processes: { effect: 'disable' },
        dns: { effect: 'disable' },
        network: { effect: 'disable' },
      }),
    );

    // Act
    const r = await run(
      'qemu-aarch64',
      [arm64, '--policy-file', policy, '--audit-file', join(dir, 'a.ndjson'), '--', arm64, '--version'],
      { timeoutMs: 20_000 },
    );

    // Assess
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('cannot trace the command (ptrace: Function not implemented)');
    expect(r.stderr).toContain('SYS_PTRACE');
    expect(r.stdout).not.toContain('ecs-admission launcher');
  });
});
