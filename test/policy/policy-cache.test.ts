import { describe, expect, it } from 'vitest';
import { PolicyCache } from '../../src/policy/policy-cache.js';
import type { Rule } from '../../src/policy/rules-schema.js';
import type { PolicySnapshot, RulesStore } from '../../src/policy/rules-store.js';

/** A store that counts its calls and can be told to fail. */
class CountingStore implements RulesStore {
  versions = 0;
  reads = 0;
  failing = false;
  constructor(public snapshot: PolicySnapshot) {}
  async version(): Promise<string> {
    this.versions += 1;
    if (this.failing) throw new Error('unreachable');
    return this.snapshot.version;
  }
  async read(): Promise<PolicySnapshot> {
    this.reads += 1;
    if (this.failing) throw new Error('unreachable');
    return this.snapshot;
  }
  async write(): Promise<PolicySnapshot> {
    throw new Error('not used');
  }
}

const rules = (name: string): Rule[] => [{ name, processes: { effect: 'prevent', deny: ['/bin/mkdir'] } }];

describe('Class: PolicyCache', () => {
  it('checks the version at most once per interval and reads rules only when it changed', async () => {
    // Prepare
    let now = 0;
    const store = new CountingStore({ version: '1', rules: rules('a') });
    const cache = new PolicyCache({ store, checkIntervalMs: 5000, now: () => now });

    // Act + Assess
    await cache.current();
    for (let i = 0; i < 100; i++) await cache.current();
    expect([store.versions, store.reads]).toEqual([0, 1]);

    now = 5000;
    await cache.current();
    await cache.current();
    expect([store.versions, store.reads]).toEqual([1, 1]);

    store.snapshot = { version: '2', rules: rules('b') };
    now = 10_000;
    const view = await cache.current();
    expect([store.versions, store.reads]).toEqual([2, 2]);
    expect(view.policyFor({ container: 'c', family: 'f' }).policy.rule).toBe('b');
  });

  it('shares one refresh between concurrent requests', async () => {
    const store = new CountingStore({ version: '1', rules: [] });
    const cache = new PolicyCache({ store });
    await Promise.all(Array.from({ length: 20 }, () => cache.current()));
    expect(store.reads).toBe(1);
  });

  it('keeps serving the last policy when the store fails, and reports it', async () => {
    let now = 0;
    const stale: unknown[] = [];
    const store = new CountingStore({ version: '1', rules: rules('a') });
    const cache = new PolicyCache({
      store,
      checkIntervalMs: 1000,
      now: () => now,
      onStale: (e) => stale.push(e),
    });
    await cache.current();
    store.failing = true;
    now = 2000;
    const view = await cache.current();
    expect(view.version).toBe('1');
    expect(stale).toHaveLength(1);
    await cache.current();
    expect(store.versions).toBe(1);
  });

  it('propagates the failure when nothing was loaded yet', async () => {
    const store = new CountingStore({ version: '1', rules: [] });
    store.failing = true;
    await expect(Promise.resolve(new PolicyCache({ store }).current())).rejects.toThrow('unreachable');
  });

  it('adopts a newer snapshot written by this process without reading the store', async () => {
    const store = new CountingStore({ version: '1', rules: rules('a') });
    const cache = new PolicyCache({ store, now: () => 0 });
    await cache.current();
    cache.adopt({ version: '2', rules: rules('b') });
    cache.adopt({ version: '1', rules: rules('old') });
    const view = await cache.current();
    expect(view.version).toBe('2');
    expect(store.reads).toBe(1);
  });

  it('memoises each container policy with a stable ETag per version', async () => {
    const store = new CountingStore({ version: '1', rules: rules('a') });
    const view = await new PolicyCache({ store }).current();
    const first = view.policyFor({ container: 'c', family: 'f' });
    expect(view.policyFor({ container: 'c', family: 'f' })).toBe(first);
    expect(first.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(JSON.parse(first.body)).toEqual(first.policy);
  });
});
