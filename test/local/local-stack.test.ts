import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalBusEvent } from '../../src/local/file-bus.js';
import { type LocalStack, startLocalStack } from '../../src/local/local-stack.js';
import { fargateTask, seedsAudit } from '../support/samples.js';

const dirs: string[] = [];
const stacks: LocalStack[] = [];
afterAll(async () => {
  for (const s of stacks) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(
  dataDir?: string,
  extra: Parameters<typeof startLocalStack>[0] extends infer O ? Partial<O> : never = {},
) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'local-stack-'));
  dirs.push(dir);
  const lines: string[] = [];
  const stack = await startLocalStack({ dataDir: dir, port: 0, log: (l) => lines.push(l), ...extra });
  stacks.push(stack);
  return { stack, lines, dir };
}

const seedsYaml = readFileSync(new URL('../policy/fixtures/seeds-sample.yaml', import.meta.url), 'utf8');

describe('Function: startLocalStack', () => {
  it('serves the policy API over HTTP end to end: push, policy, 304, audits to events.ndjson', async () => {
    // Prepare
    const { stack, lines } = await start();
    const admin = { authorization: `Bearer ${readFileSync(stack.files.adminToken, 'utf8').trim()}` };
    const defender = { authorization: `Bearer ${stack.mintToken('twistlock-fargate-task')}` };

    // Act
    const pushed = await fetch(`${stack.url}/v1/rules`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/yaml' },
      body: seedsYaml,
    });
    const policyUrl = `${stack.url}/v1/policy?container=twistlock-fargate-task&image=matthewabq%2Ftwistlock-fargate-auto`;
    const policy = await fetch(policyUrl, { headers: defender });
    const etag = policy.headers.get('etag') ?? '';
    const cached = await fetch(policyUrl, { headers: { ...defender, 'if-none-match': etag } });
    const audits = await fetch(`${stack.url}/v1/audits`, {
      method: 'POST',
      headers: { ...defender, 'content-type': 'application/json' },
      body: JSON.stringify({
        audits: [seedsAudit({ details: {} })],
      }),
    });

    // Assess
    expect(pushed.status).toBe(200);
    expect(await policy.json()).toMatchObject({
      rule: 'twistlock-sample',
      processes: { effect: 'prevent', deny: ['/bin/mkdir', '/usr/bin/mkdir'] },
      dns: { effect: 'prevent', deny: ['yahoo.com'] },
    });
    expect(cached.status).toBe(304);
    expect(audits.status).toBe(202);
    expect(await audits.json()).toEqual({ accepted: 1, failed: [], rejected: [] });
    const events = readFileSync(stack.files.events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LocalBusEvent);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      'detail-type': 'ECS Runtime Audit',
      account: '000000000000',
      detail: { family: 'twistlock-fargate-task' },
    });
    expect(lines).toContain(
      'audit 2026-11-22T00:00:01Z twistlock-fargate-task/twistlock-fargate-task PREVENT process (rule twistlock-sample): /bin/mkdir launched from /bin/dash and is explicitly blocked in the runtime rule. Full command: mkdir test',
    );
  });

  it('creates its secrets with mode 0600 and keeps rules and tokens across restarts', async () => {
    const { stack, dir } = await start();
    const adminToken = stack.adminToken;
    await fetch(`${stack.url}/v1/rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ name: 'keep-me' }),
    });
    const token = stack.mintToken('web');
    await stack.close();

    const { stack: again } = await start(dir);
    const rules = await fetch(`${again.url}/v1/rules`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const policy = await fetch(`${again.url}/v1/policy?container=c`, {
      headers: { authorization: `Bearer ${token}` },
    });

    expect(statSync(again.files.signingKey).mode & 0o777).toBe(0o600);
    expect(statSync(again.files.adminToken).mode & 0o777).toBe(0o600);
    expect(again.adminToken).toBe(adminToken);
    // A token starting with "-" would be read as an option by `policy push --token T`.
    expect(adminToken).toMatch(/^ecaat_[A-Za-z0-9_-]{43}$/);
    expect(await rules.json()).toEqual({ version: '1', rules: [{ name: 'keep-me' }] });
    expect(policy.status).toBe(200);
  });

  it('answers 404, 405 and 413 over the socket', async () => {
    const { stack } = await start();
    const unknown = await fetch(`${stack.url}/v2/nothing`);
    const wrong = await fetch(`${stack.url}/v1/policy`, { method: 'DELETE' });
    // A client announcing 5 MiB gets 413 before it has sent the body.
    const huge = await new Promise<number>((resolve, reject) => {
      const req = request(`${stack.url}/v1/rules`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${stack.adminToken}`, 'content-length': String(5 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('x'.repeat(1024));
    });
    expect(unknown.status).toBe(404);
    expect(wrong.status).toBe(405);
    expect(huge).toBe(413);
  });

  it('stops reading a chunked body once it passes the limit and answers 413', async () => {
    const { stack } = await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${stack.url}/v1/rules`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${stack.adminToken}`, 'transfer-encoding': 'chunked' },
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        // 6 MiB in 64 KiB chunks, more than the 4 MiB limit; stops as soon as the answer arrives.
        while (sent < 96 && !answered) {
          sent += 1;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('embeds over HTTP with this stack as the policy URL and a token for the family', async () => {
    const { stack } = await start();
    const task = fargateTask([{ name: 'app', image: 'nginx', entryPoint: ['nginx', '-g', 'daemon off;'] }]);
    const response = await fetch(`${stack.url}/v1/embed`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminToken}` },
      body: JSON.stringify(task),
    });
    const body = (await response.json()) as {
      taskDefinition: {
        containerDefinitions: { name: string; environment?: { name: string; value: string }[] }[];
      };
    };
    const sidecar = body.taskDefinition.containerDefinitions.find((c) => c.name === 'ecs-admission-defender');
    const env = new Map((sidecar?.environment ?? []).map((e) => [e.name, e.value]));
    expect(response.status).toBe(200);
    expect(env.get('ECS_ADMISSION_POLICY_URL')).toBe(stack.url);
    const policy = await fetch(`${stack.url}/v1/policy?container=app`, {
      headers: { authorization: `Bearer ${env.get('ECS_ADMISSION_TOKEN')}` },
    });
    expect(policy.status).toBe(200);
  });

  it('mounts extra routes, raw handlers and an onStarted hook for other parts (the ECS simulator)', async () => {
    const started: string[] = [];
    const closed: string[] = [];
    const { stack } = await start(undefined, {
      routes: (ctx) => [
        {
          method: 'GET',
          path: '/v1/echo',
          auth: 'admin',
          handle: () => ({ status: 200, headers: {}, body: ctx.account }),
        },
      ],
      rawHandlers: [
        (req, res) => {
          if (req.headers['x-amz-target'] === undefined) return false;
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{"simulated":true}');
          return true;
        },
      ],
      onStarted: (s) => {
        started.push(s.url);
        s.onClose(() => {
          closed.push('simulator');
        });
      },
    });
    const echo = await fetch(`${stack.url}/v1/echo`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    const anonymousEcho = await fetch(`${stack.url}/v1/echo`);
    const simulated = await fetch(`${stack.url}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
      body: '{}',
    });
    await stack.close();

    expect(await echo.text()).toBe('000000000000');
    expect(anonymousEcho.status).toBe(401);
    expect(await simulated.json()).toEqual({ simulated: true });
    expect(started).toEqual([stack.url]);
    expect(closed).toEqual(['simulator']);
  });
});
