import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { type LocalRegistry, pushImage, startRegistry } from '../../images/support/local-registry.js';
import { captureOutput } from '../capture-cli.js';

describe('Function: run (ecs-admission image-config)', () => {
  let registry: LocalRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
    await Promise.all([
      pushImage(registry.host, 'tools/multi', 'v2', [
        { entrypoint: ['/amd64'], cmd: ['serve'], architecture: 'amd64' },
        { entrypoint: ['/arm64'], cmd: ['serve'], architecture: 'arm64', variant: 'v8', workingDir: '/app' },
      ]),
      pushImage(registry.host, 'library/redis', '7', {
        entrypoint: ['docker-entrypoint.sh'],
        cmd: ['redis-server'],
      }),
    ]);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('prints the configuration found for the platform asked, as JSON', async () => {
    // Prepare
    const io = captureOutput();

    // Act
    const code = await main(['image-config', `${registry.host}/tools/multi:v2`, '--platform', 'linux/arm64']);

    // Assess
    expect(code).toBe(0);
    const printed = JSON.parse(io.out());
    expect(printed).toMatchObject({
      image: `${registry.host}/tools/multi:v2`,
      platform: 'linux/arm64',
      configPlatform: 'linux/arm64/v8',
      config: { entrypoint: ['/arm64'], cmd: ['serve'], workingDir: '/app' },
    });
    expect(printed.digest).toMatch(/^sha256:/);
  });

  it('looks Docker Hub names up through a mirror', async () => {
    // Prepare
    const io = captureOutput();

    // Act
    const code = await main(['image-config', 'redis:7', '--registry-mirror', `docker.io=${registry.host}`]);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({
      reference: 'docker.io/library/redis:7',
      config: { entrypoint: ['docker-entrypoint.sh'], cmd: ['redis-server'] },
    });
  });

  it('exits 3 with the registry reason when the image cannot be read', async () => {
    // Prepare
    const io = captureOutput();

    // Act
    const code = await main(['image-config', `${registry.host}/tools/multi:nope`]);

    // Assess
    expect(code).toBe(3);
    expect(io.err()).toContain('manifest unknown (MANIFEST_UNKNOWN)');
    expect(io.err()).not.toContain('    at ');
  });

  it.each([
    [['image-config'], 'give exactly one IMAGE'],
    [['image-config', 'nginx', '--platform', 'windows/amd64'], '--platform: unknown platform'],
    [['image-config', 'Nginx'], 'must be lower case'],
    [['image-config', 'nginx', '--registry-mirror', 'docker.io'], 'write REGISTRY=HOST'],
    [['image-config', 'nginx', '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with a usage error', async (argv, message) => {
    // Prepare
    const io = captureOutput();

    // Act
    const code = await main(argv);

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain(message);
  });
});
