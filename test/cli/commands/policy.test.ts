import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runLocal } from '../../../src/cli/commands/local.js';
import { run as runPolicy } from '../../../src/cli/commands/policy.js';
import { run as runToken } from '../../../src/cli/commands/token.js';
import { CliError } from '../../../src/cli/exit-codes.js';
import { type LocalStack, startLocalStack } from '../../../src/local/local-stack.js';
import { verifyDefenderToken } from '../../../src/policy/defender-token.js';
import { parseRulesText } from '../../../src/policy/rules-text.js';
import { captureOutput } from '../capture-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'policy-cli-'));
let stack: LocalStack;
const seeds = new URL('../../policy/fixtures/seeds-sample.yaml', import.meta.url).pathname;

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'stack'), port: 0, log: () => undefined });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs a command with stdout and stderr captured. */
async function capture(
  fn: () => Promise<number>,
): Promise<{ code: number | string; out: string; err: string }> {
  const io = captureOutput();
  try {
    return { code: await fn(), out: io.out(), err: io.err() };
  } catch (error) {
    if (error instanceof CliError) {
      return { code: `CliError ${error.exitCode}: ${error.message}`, out: io.out(), err: io.err() };
    }
    throw error;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('Function: run (policy)', () => {
  it('validates a good file with exit 0 and a bad one with exit 2 and every problem', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'rules:\n  - name: a\n    dns: {effect: prevent}\n  - name: a\n');
    const good = await capture(() => runPolicy(['validate', seeds]));
    const invalid = await capture(() => runPolicy(['validate', bad]));
    expect(good).toMatchObject({ code: 0, out: `${seeds}: valid (1 rule)\n` });
    expect(invalid.code).toBe(2);
    expect(invalid.err.split('\n').filter(Boolean)).toEqual([
      `${bad}: rules[0].dns.effect: effect "prevent" needs a list: set allow (everything else is denied) or deny (everything else is allowed)`,
      `${bad}: rules[1].name: duplicate rule name (also rules[0].name): names must be unique`,
    ]);
  });

  it('pushes a file to the local stack and pulls it back as YAML and JSON', async () => {
    const data = ['--endpoint', stack.url, '--data', stack.dataDir];
    const pushed = await capture(() => runPolicy(['push', seeds, ...data]));
    const yaml = await capture(() => runPolicy(['pull', ...data]));
    const json = await capture(() =>
      runPolicy(['pull', ...data, '--format', 'json', '--token', stack.adminToken]),
    );
    expect(pushed.code).toBe(0);
    expect(pushed.out).toMatch(/^pushed 1 rules from .*: policy version \d+\n$/);
    expect(parseRulesText(yaml.out)).toEqual(parseRulesText(readFileSync(seeds, 'utf8')));
    expect(yaml.out).toMatch(/^# ecs-admission rules, policy version \d+\n/);
    expect(JSON.parse(json.out)).toEqual(parseRulesText(readFileSync(seeds, 'utf8')));
  });

  it('refuses to push an invalid file without calling the server, and a stale version with the server message', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"rules":[{"name":"x","procesess":{}}]}');
    const before = readFileSync(join(stack.dataDir, 'rules.json'), 'utf8');
    const invalid = await capture(() =>
      runPolicy(['push', bad, '--endpoint', stack.url, '--token', stack.adminToken]),
    );
    const stale = await capture(() =>
      runPolicy(['push', seeds, '--endpoint', stack.url, '--token', stack.adminToken, '--if-version', '0']),
    );
    const wrongToken = await capture(() => runPolicy(['pull', '--endpoint', stack.url, '--token', 'nope']));
    expect(invalid.code).toBe(2);
    expect(invalid.err).toContain('rules[0].procesess: unknown field');
    expect(readFileSync(join(stack.dataDir, 'rules.json'), 'utf8')).toBe(before);
    expect(stale.code).toMatch(
      /^CliError 2: push: HTTP 409 version_conflict: the policy changed since version 0/,
    );
    expect(wrongToken.code).toBe('CliError 2: pull: HTTP 401 unauthorized: the admin token is not valid');
  });

  it('signs requests with SigV4 for the IAM-authorized API in AWS', async () => {
    // Prepare: a stand-in for API Gateway that records the Authorization header.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"3","rules":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Act
    const result = await capture(() =>
      runPolicy(['pull', '--endpoint', url, '--sigv4', '--region', 'eu-west-1', '--format', 'json']),
    );
    await new Promise<void>((resolve) => server.close(() => resolve()));
    vi.unstubAllEnvs();

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ rules: [] });
    expect(seen[0]).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
    );
  });

  it('says when the endpoint cannot be reached', async () => {
    const result = await capture(() =>
      runPolicy(['pull', '--endpoint', 'http://127.0.0.1:1', '--token', 't']),
    );
    expect(result.code).toMatch(/^CliError 70: pull: cannot reach http:\/\/127\.0\.0\.1:1\/v1\/rules/);
  });
});

describe('Function: run (token)', () => {
  it('prints a token for the family signed with the data folder key', async () => {
    const data = join(dir, 'token-data');
    const result = await capture(() =>
      runToken(['--family', 'web', '--data', data, '--account', '123456789012', '--ttl', '1h']),
    );
    const key = readFileSync(join(data, 'signing-key'), 'utf8').trim();
    const claims = verifyDefenderToken(result.out.trim(), key, { family: 'web' });
    expect(result.code).toBe(0);
    expect(claims.account).toBe('123456789012');
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('names a bad family or duration', async () => {
    expect((await capture(() => runToken(['--family', 'a b', '--data', dir]))).code).toMatch(
      /^CliError 2: --family: /,
    );
    expect((await capture(() => runToken(['--family', 'a', '--data', dir, '--ttl', 'soon']))).code).toMatch(
      /^CliError 2: --ttl: /,
    );
    expect((await capture(() => runToken(['--data', dir]))).code).toMatch(
      /^CliError 2: --family is required/,
    );
  });
});

describe('Function: run (local)', () => {
  it('serves until interrupted and tells the user where things are', async () => {
    // Prepare
    const data = join(dir, 'local-data');
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });

    // Act
    const running = runLocal(['--port', '0', '--data', data]);
    await vi.waitFor(() => expect(out).toContain('policy API on'), { timeout: 5000 });
    const url = /policy API on (http:\/\/127\.0\.0\.1:\d+)\/v1\//.exec(out)?.[1];
    const health = await fetch(`${url}/v1/health`);
    process.emit('SIGINT');
    const code = await running;

    // Assess
    expect(health.status).toBe(200);
    expect(code).toBe(0);
    expect(out).toContain(`defender token: ecs-admission token --family FAMILY --data ${data}`);
    await expect(fetch(`${url}/v1/health`)).rejects.toThrow();
  });
});
