import { describe, expect, it, vi } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedWithResolver } from '../../src/embed/embed-with-resolver.js';
import { ImageResolutionError } from '../../src/embed/errors.js';
import type { ImageConfig, ImageConfigResolver } from '../../src/embed/image-config.js';
import { appContainer, fargateTask } from './fixtures.js';

const config = resolveEmbedConfig({});
const redis: ImageConfig = {
  entrypoint: ['docker-entrypoint.sh'],
  cmd: ['redis-server'],
  digest: 'sha256:1',
};

describe('Function: embedWithResolver', () => {
  it("passes each container's repositoryCredentials secret to the look-up", async () => {
    // Prepare
    const secret = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:registry-AbCdEf';
    const resolver = vi.fn<ImageConfigResolver>(async () => redis);
    const task = fargateTask({ executionRoleArn: 'arn:aws:iam::111122223333:role/exec' }, [
      {
        name: 'private',
        image: 'registry.example.com/team/app:1',
        repositoryCredentials: { credentialsParameter: secret },
      },
    ]);
    // Act
    const result = await embedWithResolver(task, config, resolver);
    // Assess
    expect(result.decision.outcome).toBe('protected');
    expect(resolver).toHaveBeenCalledWith(
      'registry.example.com/team/app:1',
      { os: 'linux', architecture: 'amd64' },
      { credentialsParameter: secret },
    );
  });

  it('looks each needed image up once, for the task platform', async () => {
    // Prepare
    const resolver = vi.fn<ImageConfigResolver>(async () => redis);
    const task = fargateTask({ runtimePlatform: { cpuArchitecture: 'ARM64' } }, [
      { name: 'a', image: 'redis:7' },
      { name: 'b', image: 'redis:7', command: ['redis-server', '--port', '7000'] },
      appContainer({ name: 'c' }),
    ]);
    // Act
    const result = await embedWithResolver(task, config, resolver);
    // Assess
    expect(resolver).toHaveBeenCalledTimes(1);
    expect(resolver).toHaveBeenCalledWith(
      'redis:7',
      { os: 'linux', architecture: 'arm64' },
      { credentialsParameter: undefined },
    );
    expect(result.decision.outcome).toBe('protected');
    expect(result.output?.containerDefinitions[1]?.entryPoint).toEqual([
      '/ecs-admission/bin/launcher',
      '--',
      'docker-entrypoint.sh',
      'redis-server',
      '--port',
      '7000',
    ]);
    expect(result.decision.imageDigests).toEqual({ a: 'sha256:1', b: 'sha256:1' });
  });

  it('does not call the resolver when every container states its entryPoint', async () => {
    // Prepare
    const resolver = vi.fn<ImageConfigResolver>(async () => redis);
    // Act
    const result = await embedWithResolver(fargateTask(), config, resolver);
    // Assess
    expect(resolver).not.toHaveBeenCalled();
    expect(result.decision.outcome).toBe('protected');
  });

  it('rejects with the container and the registry reason when a look-up fails', async () => {
    // Prepare
    const resolver: ImageConfigResolver = async () => {
      throw new Error('manifest unknown (404)');
    };
    // Act
    const attempt = embedWithResolver(
      fargateTask({}, [{ name: 'cache', image: 'redis:7' }]),
      config,
      resolver,
    );
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ImageResolutionError);
    await expect(attempt).rejects.toThrow(
      'container "cache": cannot read the configuration of image "redis:7": manifest unknown (404)',
    );
  });

  it('is the pure transform without a resolver', async () => {
    // Act
    const result = await embedWithResolver(
      fargateTask({}, [{ name: 'cache', image: 'redis:7' }]),
      config,
      undefined,
    );
    // Assess
    expect(result.decision.outcome).toBe('rejected');
    expect(result.rejection).toBe('cannot-protect');
  });
});
