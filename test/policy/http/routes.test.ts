import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Audit } from '../../../src/audit/audit.js';
import { DETAIL_TYPE } from '../../../src/aws/event-bus.js';
import type { CompiledPolicy, CompiledSection } from '../../../src/policy/compiled-policy.js';
import { mintDefenderToken } from '../../../src/policy/defender-token.js';
import { RulesStoreError } from '../../../src/policy/errors.js';
import { tokenAdminAuthenticator } from '../../../src/policy/http/auth.js';
import type { HttpRequest, HttpResponse } from '../../../src/policy/http/types.js';
import { compileGlob } from '../../../src/policy/match.js';
import { createPolicyService } from '../../../src/policy/policy-service.js';
import { DynamoRulesStore, type RulesStore } from '../../../src/policy/rules-store.js';
import { type DynamoServer, startDynamoServer } from '../../support/dynamo-server.js';
import { MemoryBus } from '../../support/memory-bus.js';
import { seedsAudit } from '../../support/samples.js';

const KEY = 'policy-signing-key-for-tests-0123456789';
const ADMIN = 'admin-token-for-tests';
const ACCOUNT = '123456789012';
const NOW = Date.parse('2026-11-22T00:00:00Z');
const seedsYaml = readFileSync(new URL('../fixtures/seeds-sample.yaml', import.meta.url), 'utf8');

let dynamo: DynamoServer;
beforeAll(async () => {
  dynamo = await startDynamoServer();
});
afterAll(async () => {
  await dynamo.stop();
});

async function setup(options: { store?: RulesStore; bus?: MemoryBus } = {}) {
  const store =
    options.store ?? new DynamoRulesStore({ tableName: await dynamo.createTable(), client: dynamo.client });
  const bus = options.bus ?? new MemoryBus();
  const errors: unknown[] = [];
  const service = createPolicyService({
    store,
    bus,
    signingKeys: [KEY],
    authenticateAdmin: tokenAdminAuthenticator(ADMIN),
    checkIntervalMs: 0,
    now: () => NOW,
    onError: (error) => errors.push(error),
  });
  const call = (req: Partial<HttpRequest> & { method: string; path: string }): Promise<HttpResponse> =>
    service.handle({ query: {}, headers: {}, ...req });
  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call({
      method,
      path,
      headers: { authorization: `Bearer ${ADMIN}`, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { service, store, bus, call, admin, errors };
}

const token = (family: string, extra: { ttlSeconds?: number; now?: number } = {}) =>
  mintDefenderToken({ account: ACCOUNT, family, now: NOW, ...extra }, KEY);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const json = (r: HttpResponse) => JSON.parse(r.body) as Record<string, unknown>;

/** What the launcher would decide for a value under a compiled section (deny wins only on a match). */
function denied(section: CompiledSection, value: string): boolean {
  if (section.effect === 'disable') return false;
  const matches = (patterns: string[]) =>
    patterns.some((p) => compileGlob(p, { caseInsensitive: true })(value));
  return 'deny' in section ? matches(section.deny) : !matches(section.allow);
}

describe('Function: createPolicyService (routing)', () => {
  it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const { call } = await setup();
    const notFound = await call({ method: 'GET', path: '/v1/nope' });
    const wrongMethod = await call({ method: 'POST', path: '/v1/policy' });
    expect(notFound.status).toBe(404);
    expect(json(notFound)).toEqual({ error: 'not_found', message: 'no such route' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
  });

  it('refuses a body on a route that takes none, before reading it', async () => {
    const { call } = await setup();
    const response = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'c' },
      headers: bearer(token('f')),
      body: 'x',
    });
    expect(response.status).toBe(413);
  });

  it('masks store failures as 503 without leaking the cause', async () => {
    const broken: RulesStore = {
      version: () => Promise.reject(new RulesStoreError('secret-table-detail')),
      read: () => Promise.reject(new RulesStoreError('secret-table-detail')),
      write: () => Promise.reject(new Error('nope')),
    };
    const { call, errors } = await setup({ store: broken });
    const response = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'c' },
      headers: bearer(token('f')),
    });
    expect(response.status).toBe(503);
    expect(response.body).not.toContain('secret-table-detail');
    expect(response.body).not.toContain('at ');
    expect(errors).toHaveLength(1);
  });
});

describe('Function: createPolicyService (GET /v1/policy)', () => {
  it('serves the seeds sample: mkdir prevented, yahoo.com denied, google.com allowed', async () => {
    // Prepare
    const { call, admin } = await setup();
    const pushed = await admin('PUT', '/v1/rules', seedsYaml, { 'content-type': 'application/yaml' });

    // Act
    const response = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'twistlock-fargate-task', image: 'matthewabq/twistlock-fargate-auto' },
      headers: bearer(token('twistlock-fargate-task')),
    });

    // Assess
    expect(pushed.status).toBe(200);
    expect(response.status).toBe(200);
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const policy = JSON.parse(response.body) as CompiledPolicy;
    expect(policy).toEqual({
      version: '1',
      rule: 'twistlock-sample',
      processes: { effect: 'prevent', deny: ['/bin/mkdir', '/usr/bin/mkdir'] },
      dns: { effect: 'prevent', deny: ['yahoo.com'] },
      network: { effect: 'disable' },
    });
    expect(denied(policy.processes, '/usr/bin/mkdir')).toBe(true);
    expect(denied(policy.processes, '/usr/bin/wget')).toBe(false);
    expect(denied(policy.dns, 'yahoo.com')).toBe(true);
    expect(denied(policy.dns, 'google.com')).toBe(false);
  });

  it('answers 304 to a matching If-None-Match and 200 with a new ETag once the rules change', async () => {
    const { call, admin } = await setup();
    await admin('PUT', '/v1/rules', seedsYaml, { 'content-type': 'application/yaml' });
    const req = { method: 'GET', path: '/v1/policy', query: { container: 'twistlock-fargate-task' } };
    const first = await call({ ...req, headers: bearer(token('twistlock-fargate-task')) });
    const etag = first.headers.etag as string;

    const again = await call({
      ...req,
      headers: { ...bearer(token('twistlock-fargate-task')), 'if-none-match': etag },
    });
    await admin('DELETE', '/v1/rules/twistlock-sample', undefined, { 'if-match': '"1"' });
    const changed = await call({
      ...req,
      headers: { ...bearer(token('twistlock-fargate-task')), 'if-none-match': etag },
    });

    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(json(changed).rule).toBeNull();
  });

  it('refuses a missing, forged or expired token with 401 and another family with 403', async () => {
    const { call } = await setup();
    const get = (headers: Record<string, string>, query: Record<string, string> = {}) =>
      call({ method: 'GET', path: '/v1/policy', query: { container: 'web', ...query }, headers });
    const forged = mintDefenderToken(
      { account: ACCOUNT, family: 'web', now: NOW },
      'another-key-another-key-another-key!',
    );
    const expired = token('web', { now: NOW - 7200_000, ttlSeconds: 3600 });

    const responses = await Promise.all([
      get({}),
      get(bearer(forged)),
      get(bearer(expired)),
      get(bearer(token('web')), { family: 'payments' }),
      get(bearer(token('web')), { family: 'web' }),
    ]);

    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 403, 200]);
    expect(json(responses[2] as HttpResponse).error).toBe('token_expired');
    expect(responses[1]?.headers['www-authenticate']).toContain('Bearer');
  });

  it('scopes by the token family, not by anything the caller claims', async () => {
    const { call, admin } = await setup();
    await admin('POST', '/v1/rules', {
      name: 'payments',
      scope: { families: ['payments'] },
      dns: { effect: 'alert', allow: ['*.bank.example'] },
    });
    const mine = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'c' },
      headers: bearer(token('payments')),
    });
    const other = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'c' },
      headers: bearer(token('web')),
    });
    expect(json(mine).rule).toBe('payments');
    expect(json(other).rule).toBeNull();
  });

  it('names a missing or unknown query parameter', async () => {
    const { call } = await setup();
    const response = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { contianer: 'x' },
      headers: bearer(token('f')),
    });
    expect(response.status).toBe(400);
    expect(json(response).problems).toEqual([
      { path: 'container', message: 'required' },
      { path: 'contianer', message: 'unknown field' },
    ]);
  });
});

describe('Function: createPolicyService (admin rules routes)', () => {
  it('refuses callers without the admin token', async () => {
    const { call } = await setup();
    expect((await call({ method: 'GET', path: '/v1/rules' })).status).toBe(401);
    expect((await call({ method: 'GET', path: '/v1/rules', headers: bearer('wrong') })).status).toBe(401);
    expect((await call({ method: 'GET', path: '/v1/rules', headers: bearer(token('f')) })).status).toBe(401);
  });

  it('creates, reads, replaces, reorders and deletes rules with versions as ETags', async () => {
    const { admin } = await setup();
    const a = await admin('POST', '/v1/rules', { name: 'a' });
    const b = await admin('POST', '/v1/rules', { name: 'b', processes: { effect: 'alert', deny: ['nc'] } });
    const got = await admin('GET', '/v1/rules/b');
    const replaced = await admin(
      'PUT',
      '/v1/rules/a',
      { name: 'a', description: 'x' },
      { 'if-match': '"2"' },
    );
    const reordered = await admin('PATCH', '/v1/rules', { order: ['b', 'a'] }, { 'if-match': '"3"' });
    const list = await admin('GET', '/v1/rules');
    const notModified = await admin('GET', '/v1/rules', undefined, { 'if-none-match': '"4"' });
    const deleted = await admin('DELETE', '/v1/rules/a', undefined, { 'if-match': '4' });

    expect([a.status, b.status, got.status, replaced.status, reordered.status]).toEqual([
      201, 201, 200, 200, 200,
    ]);
    expect(json(got)).toEqual({
      version: '2',
      rule: { name: 'b', processes: { effect: 'alert', deny: ['nc'] } },
    });
    expect(list.headers.etag).toBe('"4"');
    expect((json(list).rules as { name: string }[]).map((r) => r.name)).toEqual(['b', 'a']);
    expect(notModified.status).toBe(304);
    expect(json(deleted)).toEqual({ version: '5' });
  });

  it('answers 409 to a stale If-Match, 428 to none, 409 to a duplicate and 404 to an unknown rule', async () => {
    const { admin } = await setup();
    await admin('POST', '/v1/rules', { name: 'a' });
    await admin('POST', '/v1/rules', { name: 'b' });
    const stale = await admin('PUT', '/v1/rules/a', { name: 'a' }, { 'if-match': '"1"' });
    const missing = await admin('DELETE', '/v1/rules/a');
    const duplicate = await admin('POST', '/v1/rules', { name: 'a' });
    const unknown = await admin('GET', '/v1/rules/zz');

    expect(stale.status).toBe(409);
    expect(json(stale).error).toBe('version_conflict');
    expect(stale.headers.etag).toBe('"2"');
    expect(missing.status).toBe(428);
    expect(duplicate.status).toBe(409);
    expect(unknown.status).toBe(404);
  });

  it('answers 400 naming each invalid field of a pushed document', async () => {
    const { admin } = await setup();
    const response = await admin('PUT', '/v1/rules', {
      rules: [{ name: 'x', processes: { effect: 'prevent', allow: ['a'], deny: ['b'] } }, { name: 'x' }],
    });
    expect(response.status).toBe(400);
    expect(json(response).problems).toEqual([
      {
        path: 'rules[0].processes.deny',
        message:
          'set either allow (everything else is denied) or deny (everything else is allowed), not both',
      },
      { path: 'rules[1].name', message: 'duplicate rule name (also rules[0].name): names must be unique' },
    ]);
  });

  it('answers 400 to a body that is not JSON without quoting the body', async () => {
    const { admin } = await setup();
    const response = await admin('POST', '/v1/rules', '{"name": "x", "password": hunter2}');
    expect(response.status).toBe(400);
    expect(json(response)).toEqual({
      error: 'invalid_json',
      message: "the body is not valid JSON at line 1, column 27: expected a value, found 'h'",
    });
    expect(response.body).not.toContain('hunter2');
  });
});

describe('Function: createPolicyService (POST /v1/audits)', () => {
  const post = (
    call: Awaited<ReturnType<typeof setup>>['call'],
    body: string,
    family = 'twistlock-fargate-task',
  ) => call({ method: 'POST', path: '/v1/audits', headers: bearer(token(family)), body });

  it('puts valid audits on the bus stamped with the token account and family', async () => {
    const { call, bus } = await setup();
    const dns = seedsAudit({
      kind: 'dns',
      message:
        'DNS resolution of domain name yahoo.com triggered by /usr/bin/wget explicitly denied by a runtime rule',
      details: { domain: 'yahoo.com', process: '/usr/bin/wget' },
      task: 'arn:aws:ecs:us-east-1:123456789012:task/c/abc',
    });
    const response = await post(call, JSON.stringify({ audits: [seedsAudit(), dns] }));
    expect(response.status).toBe(202);
    expect(json(response)).toEqual({ accepted: 2, failed: [], rejected: [] });
    expect(bus.entries.map((e) => e.detailType)).toEqual([DETAIL_TYPE.audit, DETAIL_TYPE.audit]);
    expect(bus.entries[0]?.detail).toMatchObject({ account: ACCOUNT, family: 'twistlock-fargate-task' });
    expect(bus.entries[1]?.resources).toEqual(['arn:aws:ecs:us-east-1:123456789012:task/c/abc']);
  });

  it('keeps the valid audits of a batch with invalid and foreign neighbours', async () => {
    const { call, bus } = await setup();
    const response = await post(
      call,
      JSON.stringify([
        seedsAudit(),
        { nonsense: true },
        seedsAudit({ family: 'other' }),
        seedsAudit({ account: '999999999999' }),
        seedsAudit(),
      ]),
    );
    const body = json(response) as { accepted: number; rejected: { index: number; error: string }[] };
    expect(response.status).toBe(202);
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(body.rejected[0]?.error).toContain('audits[1].time: required');
    expect(bus.entries).toHaveLength(2);
  });

  it('reports entries the bus could not take as failed, so the agent sends them again', async () => {
    const bus = new MemoryBus((e) => (e.detail as Audit).container === 'flaky');
    const { call } = await setup({ bus });
    const response = await post(
      call,
      JSON.stringify({ audits: [seedsAudit(), seedsAudit({ container: 'flaky' })] }),
    );
    expect(json(response)).toEqual({
      accepted: 1,
      failed: [{ index: 1, error: 'InternalFailure: simulated' }],
      rejected: [],
    });
  });

  it('refuses more than 100 audits with 400 and more than 256 KiB with 413', async () => {
    const { call } = await setup();
    const many = await post(
      call,
      JSON.stringify({ audits: Array.from({ length: 101 }, () => seedsAudit()) }),
    );
    const big = await post(
      call,
      JSON.stringify({ audits: [seedsAudit({ message: 'x'.repeat(4000) })], pad: 'y'.repeat(260 * 1024) }),
    );
    expect(many.status).toBe(400);
    expect(JSON.stringify(json(many).problems)).toContain(
      '{"path":"audits","message":"must have at most 100 items"}',
    );
    expect(big.status).toBe(413);
  });

  it('refuses a batch without a valid token before reading it', async () => {
    const { call, bus } = await setup();
    const response = await call({ method: 'POST', path: '/v1/audits', body: JSON.stringify([seedsAudit()]) });
    expect(response.status).toBe(401);
    expect(bus.entries).toHaveLength(0);
  });
});

describe('Function: createPolicyService (account-wide tokens)', () => {
  it('serves the family the request names, and requires it', async () => {
    const { call, admin } = await setup();
    await admin('PUT', '/v1/rules', seedsYaml, { 'content-type': 'application/yaml' });
    const shared = bearer(token('*'));
    const named = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'twistlock-fargate-task', family: 'twistlock-fargate-task' },
      headers: shared,
    });
    const unnamed = await call({
      method: 'GET',
      path: '/v1/policy',
      query: { container: 'x' },
      headers: shared,
    });
    expect(json(named).rule).toBe('twistlock-sample');
    expect(unnamed.status).toBe(400);
    expect(json(unnamed).problems).toEqual([
      { path: 'family', message: 'required with an account-wide token' },
    ]);
  });

  it('accepts audits of any family of its account, and no other account', async () => {
    const { call, bus } = await setup();
    const response = await call({
      method: 'POST',
      path: '/v1/audits',
      headers: bearer(token('*')),
      body: JSON.stringify([
        seedsAudit({ family: 'a' }),
        seedsAudit({ family: 'b' }),
        seedsAudit({ account: '999999999999' }),
      ]),
    });
    expect(json(response)).toMatchObject({ accepted: 2 });
    expect(bus.entries.map((e) => (e.detail as Audit).family)).toEqual(['a', 'b']);
  });
});
