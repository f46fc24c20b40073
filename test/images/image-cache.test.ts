import { describe, expect, it } from 'vitest';
import { ExpiringCache } from '../../src/images/image-cache.js';

describe('Function: ExpiringCache', () => {
  it('forgets entries after their lifetime on the injected clock', () => {
    // Prepare
    let now = 1000;
    const cache = new ExpiringCache<string>(10, 60_000, () => now);
    cache.set('nginx:latest', 'sha256:a');

    // Act
    const before = cache.get('nginx:latest');
    now += 60_000;
    const after = cache.get('nginx:latest');

    // Assess
    expect(before).toBe('sha256:a');
    expect(after).toBeUndefined();
  });

  it('drops the least recently used entry beyond its size', () => {
    // Prepare
    const cache = new ExpiringCache<number>(2, Number.POSITIVE_INFINITY);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');

    // Act
    cache.set('c', 3);

    // Assess
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });
});
