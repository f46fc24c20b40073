import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { type LocalRegistry, pushImage, startRegistry } from '../../images/support/local-registry.js';
import { captureOutput } from '../capture-cli.js';

describe('Function: run (ecs-admission embed, image look-up)', () => {
  let registry: LocalRegistry;
  let dir: string;
  let taskFile: string;

  beforeAll(async () => {
    registry = await startRegistry();
    await pushImage(registry.host, 'shop/api', '3', { entrypoint: ['/srv/api'], cmd: ['--listen', ':8080'] });
    dir = mkdtempSync(join(tmpdir(), 'ecs-admission-embed-cli-'));
    taskFile = join(dir, 'task.json');
    writeFileSync(
      taskFile,
      JSON.stringify({
        family: 'shop-api',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '512',
        memory: '1024',
        containerDefinitions: [{ name: 'api', image: `${registry.host}/shop/api:3`, essential: true }],
      }),
    );
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the image's ENTRYPOINT and CMD by default and records the digest", async () => {
    // Prepare
    const io = captureOutput();
    const report = join(dir, 'decision.json');

    // Act
    const code = await main(['embed', taskFile, '--json-report', report, '--quiet']);

    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(io.out()) as {
      containerDefinitions: { name: string; entryPoint?: string[] }[];
    };
    expect(output.containerDefinitions.find((c) => c.name === 'api')?.entryPoint).toEqual([
      '/ecs-admission/bin/launcher',
      '--',
      '/srv/api',
      '--listen',
      ':8080',
    ]);
    expect(JSON.parse(readFileSync(report, 'utf8')).imageDigests.api).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('pins the image with --pin-digests', async () => {
    // Prepare
    const io = captureOutput();

    // Act
    const code = await main(['embed', taskFile, '--pin-digests', '--quiet']);

    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(io.out()) as { containerDefinitions: { name: string; image?: string }[] };
    expect(output.containerDefinitions.find((c) => c.name === 'api')?.image).toMatch(
      new RegExp(`^${registry.host.replace(/\./g, '\\.')}/shop/api@sha256:[a-f0-9]{64}$`),
    );
  });

  it('contacts no registry with --no-resolve-images, and cannot protect the container then', async () => {
    // Prepare
    const io = captureOutput();

    // Act
    const code = await main(['embed', taskFile, '--no-resolve-images']);

    // Assess
    expect(code).toBe(3);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('api');
  });

  it("exits 3 with the registry's reason when the image cannot be read", async () => {
    // Prepare
    const io = captureOutput();
    const missing = join(dir, 'missing.json');
    writeFileSync(
      missing,
      JSON.stringify({
        family: 'ghost',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'ghost', image: `${registry.host}/shop/ghost:1`, essential: true }],
      }),
    );

    // Act
    const code = await main(['embed', missing]);

    // Assess
    expect(code).toBe(3);
    expect(io.err()).toContain('container "ghost"');
    expect(io.err()).toContain('manifest unknown (MANIFEST_UNKNOWN)');
  });
});
