import type { Platform } from '../src/embed/image-config.js';
import { RegistryImageResolver } from '../src/images/registry-resolver.js';
import { pushImage, startRegistry } from '../test/images/support/local-registry.js';
import { startTokenService, tokenAuth } from '../test/images/support/token-service.js';
import type { BenchResult } from './bench-result.js';
import { median } from './stats.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ROUNDS = 30;

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Image look-up against the loopback registry: a cold look-up (new resolver: index, platform
 * manifest, config blob; plus the token round trip on the token-auth registry), a look-up after the
 * tag's lifetime (one manifest request), and a cached one (no request). Loopback hides network
 * latency, so these figures are the client's own cost; a real registry adds its round trips.
 */
export async function bench(): Promise<BenchResult[]> {
  const open = await startRegistry();
  const tokens = await startTokenService({});
  try {
    await pushImage(open.host, 'bench/app', 'v1', [
      { entrypoint: ['/app'], cmd: ['serve'] },
      { entrypoint: ['/app'], cmd: ['serve'], architecture: 'arm64', variant: 'v8' },
    ]);
    const bearer = await startRegistry({
      storage: open.storage,
      auth: tokenAuth(tokens),
    });
    try {
      const image = `${open.host}/bench/app:v1`;
      const tokenImage = `${bearer.host}/bench/app:v1`;
      await new RegistryImageResolver().resolve(image, AMD64); // warm the registry's own caches
      const cold: number[] = [];
      const coldToken: number[] = [];
      const tagExpired: number[] = [];
      const cached: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        cold.push(await timeMs(() => new RegistryImageResolver().resolve(image, AMD64)));
        coldToken.push(await timeMs(() => new RegistryImageResolver().resolve(tokenImage, AMD64)));
        const expiring = new RegistryImageResolver({ tagTtlMs: 0 });
        await expiring.resolve(image, AMD64);
        tagExpired.push(await timeMs(() => expiring.resolve(image, AMD64)));
      }
      const warm = new RegistryImageResolver();
      await warm.resolve(image, AMD64);
      for (let i = 0; i < ROUNDS * 10; i++) cached.push(await timeMs(() => warm.resolve(image, AMD64)));
      return [
        { name: 'cold look-up, open registry (3 requests), median', value: median(cold), unit: 'ms' },
        { name: 'cold look-up, token registry (5 requests), median', value: median(coldToken), unit: 'ms' },
        { name: 'tag expired, digest cached (1 request), median', value: median(tagExpired), unit: 'ms' },
        {
          name: 'cached look-up (no request), median',
          value: median(cached),
          unit: 'ms',
          target: '< 0.1 ms',
          ok: median(cached) < 0.1,
        },
      ];
    } finally {
      await bearer.stop();
    }
  } finally {
    await tokens.stop();
    await open.stop();
  }
}
