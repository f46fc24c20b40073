import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedWithResolver } from '../../src/embed/embed-with-resolver.js';
import { ImageResolutionError } from '../../src/embed/errors.js';
import { RegistryImageResolver } from '../../src/images/registry-resolver.js';
import { type LocalRegistry, pushImage, startRegistry } from './support/local-registry.js';

const LAUNCHER = ['/ecs-admission/bin/launcher', '--'];

function fargateTask(containers: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    family: 'web',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '512',
    memory: '1024',
    containerDefinitions: containers,
    ...extra,
  };
}

type Container = { name?: string; image?: string; entryPoint?: string[]; command?: string[] };

function container(output: unknown, name: string): Container | undefined {
  return (output as { containerDefinitions: Container[] }).containerDefinitions.find((c) => c.name === name);
}

describe('Function: embedWithResolver (against a real registry on loopback)', () => {
  let registry: LocalRegistry;
  let host: string;

  beforeAll(async () => {
    registry = await startRegistry();
    host = registry.host;
    await Promise.all([
      pushImage(host, 'apps/web', '1', {
        entrypoint: ['/docker-entrypoint.sh'],
        cmd: ['nginx', '-g', 'daemon off;'],
      }),
      pushImage(host, 'apps/worker', '1', { cmd: ['python', 'worker.py'] }),
      pushImage(host, 'apps/bare', '1', {}),
      pushImage(host, 'apps/multi', '1', [
        { entrypoint: ['/bin/amd64-server'], cmd: ['--port', '80'] },
        { entrypoint: ['/bin/arm64-server'], cmd: ['--port', '80'], architecture: 'arm64', variant: 'v8' },
      ]),
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it("wraps exactly the image's ENTRYPOINT + CMD when the task states neither", async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([{ name: 'web', image: `${host}/apps/web:1`, essential: true }]);

    // Act
    const result = await embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    expect(result.decision.outcome).toBe('protected');
    const web = container(result.output, 'web');
    expect(web?.entryPoint).toEqual([...LAUNCHER, '/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(web?.command).toBeUndefined();
    const resolved = await resolver.resolve(`${host}/apps/web:1`, { os: 'linux', architecture: 'amd64' });
    expect(result.decision.imageDigests).toEqual({ web: resolved.digest });
  });

  it("wraps exactly the image's ENTRYPOINT + the task's own command", async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([
      { name: 'web', image: `${host}/apps/web:1`, essential: true, command: ['nginx', '-T'] },
    ]);

    // Act
    const result = await embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    expect(container(result.output, 'web')?.entryPoint).toEqual([
      ...LAUNCHER,
      '/docker-entrypoint.sh',
      'nginx',
      '-T',
    ]);
  });

  it('uses the CMD alone for an image without ENTRYPOINT', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([{ name: 'worker', image: `${host}/apps/worker:1`, essential: true }]);

    // Act
    const result = await embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    expect(container(result.output, 'worker')?.entryPoint).toEqual([...LAUNCHER, 'python', 'worker.py']);
  });

  it("reads the arm64 configuration for an ARM64 task's multi-platform image", async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([{ name: 'api', image: `${host}/apps/multi:1`, essential: true }], {
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    });

    // Act
    const result = await embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    expect(container(result.output, 'api')?.entryPoint).toEqual([
      ...LAUNCHER,
      '/bin/arm64-server',
      '--port',
      '80',
    ]);
  });

  it('pins the image to the digest its command line was read from (--pin-digests)', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([{ name: 'web', image: `${host}/apps/web:1`, essential: true }]);

    // Act
    const result = await embedWithResolver(
      input,
      resolveEmbedConfig({ pinDigests: true }),
      resolver.resolveConfig,
    );

    // Assess
    const pinned = container(result.output, 'web')?.image ?? '';
    expect(pinned).toMatch(new RegExp(`^${host.replace(/\./g, '\\.')}/apps/web@sha256:[a-f0-9]{64}$`));
    const again = await new RegistryImageResolver().resolve(pinned, { os: 'linux', architecture: 'amd64' });
    expect(again.config.entrypoint).toEqual(['/docker-entrypoint.sh']);
    expect(result.decision.imageDigests?.web).toBe(pinned.split('@')[1]);
  });

  it('never guesses a command for an image with neither ENTRYPOINT nor CMD', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([{ name: 'bare', image: `${host}/apps/bare:1`, essential: true }]);

    // Act
    const result = await embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    expect(result.decision.outcome).toBe('rejected');
    expect(JSON.stringify(result.output ?? {})).not.toContain('/bin/sh');
  });

  it("rejects with the container's name and the registry's reason when the image is missing", async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const input = fargateTask([{ name: 'ghost', image: `${host}/apps/ghost:9`, essential: true }]);

    // Act
    const act = embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    await expect(act).rejects.toThrow(ImageResolutionError);
    await expect(act).rejects.toThrow(/container "ghost".*manifest unknown \(MANIFEST_UNKNOWN\)/);
  });

  it('contacts no registry for containers that state their own entryPoint', async () => {
    // Prepare
    let requests = 0;
    const resolver = new RegistryImageResolver({
      fetchImpl: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const input = fargateTask([
      { name: 'web', image: `${host}/apps/web:1`, essential: true, entryPoint: ['/bin/own'], command: ['x'] },
    ]);

    // Act
    const result = await embedWithResolver(input, resolveEmbedConfig({}), resolver.resolveConfig);

    // Assess
    expect(result.decision.outcome).toBe('protected');
    expect(container(result.output, 'web')?.entryPoint).toEqual([...LAUNCHER, '/bin/own', 'x']);
    expect(requests).toBe(0);
  });
});
