import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../../../sidecar/agent/agent.js';
import { CompiledPolicySchema } from '../../../src/policy/compiled-policy.js';
import { startPolicyServer, useAgentFixture } from './agent-fixture.js';
import { FakePolicyServer } from './fake-policy-server.js';
import { policy, tempLayout, testSettings, waitFor } from './helpers.js';

const ctx = useAgentFixture();

async function setup() {
  const server = await startPolicyServer(ctx, { app: policy('v1'), worker: policy('v1', ['curl']) });
  const layout = await tempLayout();
  return { layout, settings: testSettings(layout, server.url) };
}

describe('Function: startAgent (policy sync)', () => {
  it('copies the launcher with mode 0755, writes every policy, then the ready file', async () => {
    // Prepare
    const { layout, settings } = await setup();

    // Act
    ctx.agent = await startAgent(settings);
    const ready = await ctx.agent.ready;

    // Assess
    expect(ready).toBe(true);
    const launcher = await stat(join(layout.root, 'bin/launcher'));
    expect(launcher.mode & 0o777).toBe(0o755);
    expect(await readFile(join(layout.root, 'bin/launcher'), 'utf8')).toBe(
      await readFile(layout.launcher, 'utf8'),
    );
    const app = CompiledPolicySchema.parse(
      JSON.parse(await readFile(join(layout.root, 'policy/app.json'), 'utf8')),
    );
    const worker = CompiledPolicySchema.parse(
      JSON.parse(await readFile(join(layout.root, 'policy/worker.json'), 'utf8')),
    );
    expect(app.processes).toEqual({ effect: 'prevent', deny: ['mkdir'] });
    expect(worker.processes).toEqual({ effect: 'prevent', deny: ['curl'] });
    await expect(stat(join(layout.root, 'ready'))).resolves.toBeTruthy();
    expect(ctx.server?.log.policyGets.slice(0, 2)).toEqual([
      { container: 'app', image: 'example/app:1', ifNoneMatch: undefined, auth: 'Bearer test-token' },
      { container: 'worker', image: 'example/worker:2', ifNoneMatch: undefined, auth: 'Bearer test-token' },
    ]);
  });

  it('does not write the ready file until the service has answered for every container', async () => {
    // Prepare
    const { layout, settings } = await setup();
    ctx.server!.failNextPolicies = 3;

    // Act
    ctx.agent = await startAgent(settings);
    await waitFor(() => (ctx.server?.log.policyGets.length ?? 0) >= 2, 5000, 'first attempts');
    const readyEarly = await stat(join(layout.root, 'ready')).then(
      () => true,
      () => false,
    );
    const ready = await ctx.agent.ready;

    // Assess
    expect(readyEarly).toBe(false);
    expect(ready).toBe(true);
    expect(ctx.agent.status().policy.failures).toBe(3);
  });

  it('polls with If-None-Match and rewrites the file only when the policy changes', async () => {
    // Prepare
    const { layout, settings } = await setup();
    ctx.agent = await startAgent(settings);
    await ctx.agent.ready;
    const before = await stat(join(layout.root, 'policy/app.json'));

    // Act
    await waitFor(() => (ctx.agent?.status().policy.notModified ?? 0) >= 4, 5000, '304 answers');
    const unchanged = await stat(join(layout.root, 'policy/app.json'));
    ctx.server!.policies.app = policy('v2', ['mkdir', 'wget']);
    await waitFor(
      async () => (await readFile(join(layout.root, 'policy/app.json'), 'utf8')).includes('"v2"'),
      5000,
      'new policy',
    );

    // Assess
    expect(unchanged.ino).toBe(before.ino);
    const conditional = ctx.server!.log.policyGets.filter((g) => g.ifNoneMatch !== undefined);
    expect(conditional.length).toBeGreaterThanOrEqual(4);
    const files = await readdir(join(layout.root, 'policy'));
    expect(files.sort()).toEqual(['app.json', 'worker.json']);
  });

  it('keeps the last known good policy while the service is unreachable, then catches up', async () => {
    // Prepare
    const { layout, settings } = await setup();
    ctx.agent = await startAgent(settings);
    await ctx.agent.ready;
    const port = ctx.server!.port;
    const good = await readFile(join(layout.root, 'policy/app.json'), 'utf8');

    // Act
    await ctx.server!.stop();
    await waitFor(() => (ctx.agent?.status().policy.failures ?? 0) >= 3, 5000, 'failed polls');
    const during = await readFile(join(layout.root, 'policy/app.json'), 'utf8');
    const policies = ctx.server!.policies;
    ctx.server = new FakePolicyServer();
    ctx.server.policies = { ...policies, app: policy('v3') };
    await ctx.server.start(port);
    await waitFor(
      async () => (await readFile(join(layout.root, 'policy/app.json'), 'utf8')).includes('"v3"'),
      5000,
      'policy after outage',
    );

    // Assess
    expect(during).toBe(good);
    expect(ctx.agent.status().policy.lastError).toMatch(/unreachable/);
    await expect(stat(join(layout.root, 'ready'))).resolves.toBeTruthy();
  });

  it('leaves a valid policy file at every instant while it is replaced', async () => {
    // Prepare
    const { layout, settings } = await setup();
    ctx.agent = await startAgent(settings);
    await ctx.agent.ready;
    const path = join(layout.root, 'policy/app.json');
    let reads = 0;

    // Act: change the policy on every poll while reading the file as fast as possible
    const deadline = Date.now() + 700;
    let v = 0;
    while (Date.now() < deadline) {
      ctx.server!.policies.app = policy(
        `v${v++}`,
        Array.from({ length: 200 }, (_, i) => `/bin/p${v}-${i}`),
      );
      const text = await readFile(path, 'utf8');
      CompiledPolicySchema.parse(JSON.parse(text));
      reads++;
    }

    const fetchedDuring = (await ctx.agent.stop({ drainMs: 0 })).policy.fetched;
    ctx.agent = undefined;

    // Assess
    expect(reads).toBeGreaterThan(10);
    expect(fetchedDuring).toBeGreaterThan(3);
    expect((await readdir(join(layout.root, 'policy'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
