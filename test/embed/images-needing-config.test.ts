import { describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { imagesNeedingConfig } from '../../src/embed/images-needing-config.js';
import { appContainer, fargateTask } from './fixtures.js';

const config = resolveEmbedConfig({});

describe('Function: imagesNeedingConfig', () => {
  it('lists only wrapped containers without entryPoint', () => {
    // Prepare
    const task = fargateTask({}, [
      appContainer({ name: 'has-entrypoint' }),
      { name: 'cache', image: 'redis:7' },
      { name: 'worker', image: 'redis:7', command: ['redis-server', '--port', '7000'] },
      { name: 'empty', image: 'busybox', entryPoint: [] },
      { name: 'router', image: 'fluent-bit', firelensConfiguration: { type: 'fluentbit' } },
      { name: 'agent', image: 'vendor/agent' },
    ]);
    // Act
    const needed = imagesNeedingConfig(task, resolveEmbedConfig({ excludeContainers: ['agent'] }));
    // Assess
    expect(needed).toEqual([
      { container: 'cache', image: 'redis:7' },
      { container: 'worker', image: 'redis:7' },
      { container: 'empty', image: 'busybox' },
    ]);
  });

  it('lists nothing for a definition the transform skips or already protected', () => {
    expect(
      imagesNeedingConfig(
        fargateTask({ requiresCompatibilities: ['EC2'] }, [{ name: 'a', image: 'x' }]),
        config,
      ),
    ).toEqual([]);
  });
});
