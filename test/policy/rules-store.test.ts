import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRulesStore } from '../../src/local/file-rules-store.js';
import {
  RuleExistsError,
  RuleNotFoundError,
  RulesValidationError,
  VersionConflictError,
} from '../../src/policy/errors.js';
import {
  createRule,
  deleteRule,
  getRule,
  reorderRules,
  replaceAllRules,
  replaceRule,
} from '../../src/policy/rules-admin.js';
import type { Rule } from '../../src/policy/rules-schema.js';
import { DynamoRulesStore, type RulesStore } from '../../src/policy/rules-store.js';
import { type DynamoServer, startDynamoServer } from '../support/dynamo-server.js';

let dynamo: DynamoServer;
const dirs: string[] = [];

beforeAll(async () => {
  dynamo = await startDynamoServer();
});
afterAll(async () => {
  await dynamo.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<RulesStore>][] = [
  [
    'DynamoRulesStore (dynalite)',
    async () => new DynamoRulesStore({ tableName: await dynamo.createTable(), client: dynamo.client }),
  ],
  [
    'FileRulesStore',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rules-store-'));
      dirs.push(dir);
      return new FileRulesStore(dir);
    },
  ],
];

const rule = (name: string, extra: Partial<Rule> = {}): Rule => ({ name, ...extra });

describe.each(stores)('Class: %s', (_label, makeStore) => {
  it('starts empty at version 0', async () => {
    const store = await makeStore();
    expect(await store.read()).toEqual({ version: '0', rules: [] });
    expect(await store.version()).toBe('0');
  });

  it('creates, gets, replaces and deletes rules, bumping the version each time', async () => {
    // Prepare
    const store = await makeStore();

    // Act
    const v1 = await createRule(store, rule('a'));
    const v2 = await createRule(store, rule('b', { processes: { effect: 'alert', deny: ['/bin/sh'] } }));
    const v3 = await replaceRule(
      store,
      'a',
      rule('a', { dns: { effect: 'prevent', deny: ['x.com'] } }),
      v2.version,
    );
    const got = await getRule(store, 'a');
    const v4 = await deleteRule(store, 'b', v3.version);

    // Assess
    expect([v1.version, v2.version, v3.version, v4.version]).toEqual(['1', '2', '3', '4']);
    expect(got).toEqual({ version: '3', rule: rule('a', { dns: { effect: 'prevent', deny: ['x.com'] } }) });
    expect(await store.read()).toEqual({ version: '4', rules: [got.rule] });
    await expect(getRule(store, 'b')).rejects.toBeInstanceOf(RuleNotFoundError);
  });

  it('reorders rules and refuses an order that is not a permutation', async () => {
    const store = await makeStore();
    const v = await replaceAllRules(store, { rules: [rule('a'), rule('b'), rule('c')] }, undefined);
    const reordered = await reorderRules(store, ['c', 'a', 'b'], v.version);
    expect(reordered.rules.map((r) => r.name)).toEqual(['c', 'a', 'b']);
    await expect(reorderRules(store, ['c', 'a', 'a', 'z'], reordered.version)).rejects.toThrowError(
      /order\[2\]: "a" is listed twice.*order\[3\]: no rule named "z".*missing: b/,
    );
  });

  it('refuses a stale version with a conflict and keeps the current rules', async () => {
    // Prepare
    const store = await makeStore();
    const read = await createRule(store, rule('a'));
    await replaceRule(store, 'a', rule('a', { description: 'first writer' }), read.version);

    // Act
    const stale = replaceRule(store, 'a', rule('a', { description: 'second writer' }), read.version);

    // Assess
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    expect((await store.read()).rules[0]?.description).toBe('first writer');
    await expect(store.write([rule('z')], read.version)).rejects.toBeInstanceOf(VersionConflictError);
  });

  it('lets exactly one of two concurrent writers of the same version win', async () => {
    const store = await makeStore();
    const base = await createRule(store, rule('a'));
    const results = await Promise.allSettled([
      store.write([rule('x')], base.version),
      store.write([rule('y')], base.version),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(VersionConflictError);
    expect(await store.version()).toBe('2');
  });

  it('re-applies unconditional creates so concurrent creates both land', async () => {
    const store = await makeStore();
    await Promise.all([createRule(store, rule('p')), createRule(store, rule('q'))]);
    expect((await store.read()).rules.map((r) => r.name).sort()).toEqual(['p', 'q']);
  });

  it('refuses a duplicate name and a rename through replace', async () => {
    const store = await makeStore();
    await createRule(store, rule('a'));
    await expect(createRule(store, rule('a'))).rejects.toBeInstanceOf(RuleExistsError);
    await expect(replaceRule(store, 'a', rule('b'), '1')).rejects.toBeInstanceOf(RulesValidationError);
  });

  it('stores a thousand rules and reads them back in order', async () => {
    const rules = Array.from({ length: 1000 }, (_, i) =>
      rule(`rule-${i}`, {
        scope: { containers: [`c-${i}-*`] },
        processes: { effect: 'prevent', deny: [`/bin/p${i}`] },
      }),
    );
    const store = await makeStore();
    await replaceAllRules(store, { rules }, '0');
    expect(await store.read()).toEqual({ version: '1', rules });
  });
});
