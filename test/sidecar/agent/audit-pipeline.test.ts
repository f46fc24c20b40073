import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../../../sidecar/agent/agent.js';
import { startPolicyServer, useAgentFixture } from './agent-fixture.js';
import { FakePolicyServer } from './fake-policy-server.js';
import { audit, policy, tempLayout, testSettings, waitFor } from './helpers.js';

const ctx = useAgentFixture();

async function setup() {
  await startPolicyServer(ctx, { app: policy('v1'), worker: policy('v1') });
  return tempLayout();
}

const lines = (from: number, to: number, container = 'app') =>
  Array.from({ length: to - from }, (_, i) => `${JSON.stringify(audit(from + i, container))}\n`).join('');

const messageNumbers = (audits: Record<string, unknown>[]) =>
  audits.map((a) => Number(/test-(\d+)$/.exec(String(a.message))?.[1]));

describe('Function: startAgent (audits)', () => {
  it('creates world-writable audit files and ships their lines in batches of at most 100', async () => {
    // Prepare
    const layout = await setup();
    ctx.agent = await startAgent(testSettings(layout, ctx.server!.url, { flushMs: 200 }));
    await ctx.agent.ready;

    // Act
    const mode = (await stat(join(layout.audit, 'app.ndjson'))).mode & 0o777;
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 250));
    await appendFile(join(layout.audit, 'worker.ndjson'), lines(0, 10, 'worker'));
    await waitFor(() => ctx.server!.audits.length >= 260, 10_000, 'audits');

    // Assess
    expect(mode).toBe(0o666);
    expect(ctx.server!.log.auditPosts.every((p) => p.audits.length <= 100)).toBe(true);
    expect(ctx.server!.log.auditPosts.every((p) => p.auth === 'Bearer test-token')).toBe(true);
    const app = ctx.server!.audits.filter((a) => a.container === 'app');
    expect(messageNumbers(app)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(ctx.server!.audits.filter((a) => a.container === 'worker')).toHaveLength(10);
  });

  it('keeps each request body within the byte limit', async () => {
    // Prepare
    const layout = await setup();
    const bodies: number[] = [];
    const realFetch = fetch;
    ctx.agent = await startAgent(
      testSettings(layout, ctx.server!.url, { batchMaxBytes: 2048, flushMs: 200 }),
      {
        fetch: async (input, init) => {
          if (typeof init?.body === 'string') bodies.push(Buffer.byteLength(init.body));
          return realFetch(input, init);
        },
      },
    );

    // Act
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 60));
    await waitFor(() => ctx.server!.audits.length >= 60, 10_000, 'audits');

    // Assess
    expect(bodies.length).toBeGreaterThan(5);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(2048);
    expect(messageNumbers(ctx.server!.audits)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('skips lines that are not audits and counts them', async () => {
    // Prepare
    const layout = await setup();
    ctx.agent = await startAgent(testSettings(layout, ctx.server!.url));

    // Act
    await appendFile(
      join(layout.audit, 'app.ndjson'),
      `${lines(0, 1)}not json\n{"kind":"process"}\n${lines(1, 2)}`,
    );
    await waitFor(() => ctx.server!.audits.length >= 2, 10_000, 'audits');

    // Assess
    expect(messageNumbers(ctx.server!.audits)).toEqual([0, 1]);
    expect(ctx.agent.status().tailer.invalid).toBe(2);
  });

  it('does not ship a line until its newline is written', async () => {
    // Prepare
    const layout = await setup();
    ctx.agent = await startAgent(testSettings(layout, ctx.server!.url));
    const line = JSON.stringify(audit(7));

    // Act
    await appendFile(join(layout.audit, 'app.ndjson'), line.slice(0, 40));
    await new Promise((r) => setTimeout(r, 200));
    const early = ctx.server!.audits.length;
    await appendFile(join(layout.audit, 'app.ndjson'), `${line.slice(40)}\n`);
    await waitFor(() => ctx.server!.audits.length >= 1, 5000, 'audit');

    // Assess
    expect(early).toBe(0);
    expect(messageNumbers(ctx.server!.audits)).toEqual([7]);
  });

  it('retries with backoff while the service fails, then delivers everything once', async () => {
    // Prepare
    const layout = await setup();
    ctx.server!.failNextAudits = 4;
    ctx.agent = await startAgent(testSettings(layout, ctx.server!.url));

    // Act
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 30));
    await waitFor(() => ctx.server!.audits.length >= 30, 10_000, 'audits');

    // Assess
    expect(ctx.agent.status().shipper.retries).toBe(4);
    expect(messageNumbers(ctx.server!.audits)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('resends only the entries the service reports as failed', async () => {
    // Prepare
    const layout = await setup();
    ctx.server!.auditFailedIndexes = [1, 3];
    ctx.agent = await startAgent(testSettings(layout, ctx.server!.url, { flushMs: 300 }));
    await new Promise((r) => setTimeout(r, 100));

    // Act
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 5));
    await waitFor(() => ctx.server!.audits.length >= 5, 10_000, 'audits');
    await new Promise((r) => setTimeout(r, 200));

    // Assess
    expect(messageNumbers(ctx.server!.audits).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(ctx.server!.log.auditPosts[1]?.audits).toHaveLength(2);
  });

  it('adds cluster, task, revision and region from the task metadata endpoint', async () => {
    // Prepare
    const layout = await setup();
    const { createServer } = await import('node:http');
    const meta = createServer((req, res) => {
      res.writeHead(req.url === '/v4/abc/task' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          Cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
          TaskARN: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef',
          Family: 'web',
          Revision: '7',
          AvailabilityZone: 'eu-west-1a',
        }),
      );
    });
    await new Promise<void>((r) => meta.listen(0, '127.0.0.1', r));
    const port = (meta.address() as { port: number }).port;
    ctx.agent = await startAgent(
      testSettings(layout, ctx.server!.url, { metadataUri: `http://127.0.0.1:${port}/v4/abc` }),
    );

    // Act
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 2));
    await waitFor(() => ctx.server!.audits.length >= 2, 10_000, 'audits');
    meta.close();

    // Assess
    expect(ctx.server!.audits[0]).toMatchObject({
      cluster: 'prod',
      task: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef',
      revision: 7,
      region: 'eu-west-1',
      family: 'web',
      container: 'app',
    });
  });

  it('loses nothing across an outage and an agent restart', async () => {
    // Prepare
    const layout = await setup();
    const port = ctx.server!.port;
    await ctx.server!.stop();
    const settings = testSettings(layout, `http://127.0.0.1:${port}`);
    ctx.agent = await startAgent(settings);
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 50));
    await waitFor(() => (ctx.agent?.status().tailer.lines ?? 0) >= 50, 5000, 'buffered');

    // Act: the agent stops during the outage, more audits arrive, a new agent starts once the service is back
    const stopped = await ctx.agent.stop({ drainMs: 0 });
    ctx.agent = undefined;
    await appendFile(join(layout.audit, 'app.ndjson'), lines(50, 80));
    const offsets = JSON.parse(await readFile(join(layout.root, 'state/offsets.json'), 'utf8')) as Record<
      string,
      { offset: number }
    >;
    ctx.server = new FakePolicyServer();
    ctx.server.policies = { app: policy('v1'), worker: policy('v1') };
    await ctx.server.start(port);
    ctx.agent = await startAgent(settings);
    await waitFor(() => ctx.server!.audits.length >= 80, 10_000, 'all audits');
    await new Promise((r) => setTimeout(r, 200));

    // Assess
    expect(stopped.buffer.pendingBytes).toBeGreaterThan(0);
    expect(offsets.app?.offset).toBeGreaterThan(0);
    expect(messageNumbers(ctx.server.audits)).toEqual(Array.from({ length: 80 }, (_, i) => i));
  });

  it('drops audits only beyond the buffer bound, and counts and reports every drop', async () => {
    // Prepare
    const layout = await setup();
    const port = ctx.server!.port;
    await ctx.server!.stop();
    const settings = testSettings(layout, `http://127.0.0.1:${port}`, { bufferMaxBytes: 8192 });
    const lineBytes = Buffer.byteLength(lines(0, 1));
    const fits = Math.floor(8192 / lineBytes);
    ctx.agent = await startAgent(settings);

    // Act
    await appendFile(join(layout.audit, 'app.ndjson'), lines(0, 100));
    await waitFor(() => (ctx.agent?.status().buffer.dropped ?? 0) > 0, 5000, 'drops');
    await waitFor(
      async () => {
        try {
          return (
            JSON.parse(await readFile(join(layout.root, 'state/status.json'), 'utf8')).buffer.dropped > 0
          );
        } catch {
          return false;
        }
      },
      7000,
      'status file',
    );
    ctx.server = new FakePolicyServer();
    ctx.server.policies = { app: policy('v1'), worker: policy('v1') };
    await ctx.server.start(port);
    await waitFor(() => ctx.server!.audits.length >= fits, 10_000, 'kept audits');
    await new Promise((r) => setTimeout(r, 200));
    const status = ctx.agent.status();

    // Assess
    expect(ctx.server.audits).toHaveLength(fits);
    expect(messageNumbers(ctx.server.audits)).toEqual(Array.from({ length: fits }, (_, i) => i));
    expect(status.buffer.dropped).toBe(100 - fits);
    expect(status.tailer.dropped).toBe(100 - fits);
  });
});
