import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSchema } from '../../src/audit/audit.js';
import { assertBuilt, BIN, ROOT } from '../cli/run-cli.js';
import { freePort, send, startTestApp } from './test-app.js';

const SEEDS_SQLI = '{"-1+union+all+select+1,group_concat(user,0x3a,file_priv),3,4+from+mysql.user--"}';
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  assertBuilt();
  app = await startTestApp();
});
afterAll(() => app.close());

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Command: ecs-admission waas', () => {
  it('proxies on loopback, blocks in prevent mode, reloads when the policy file changes and writes waas audits', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'waas-cli-'));
    const policyFile = join(dir, 'policy.json');
    const auditFile = join(dir, 'audit.ndjson');
    const policy = (effect: string) =>
      JSON.stringify({
        version: '1',
        rule: 'web-waas',
        processes: { effect: 'disable' },
        dns: { effect: 'disable' },
        network: { effect: 'disable' },
        waas: { effect, protections: ['sqli', 'xss', 'lfi', 'rce', 'protocol'], paranoiaLevel: 1 },
      });
    await writeFile(policyFile, policy('prevent'));
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        BIN,
        'waas',
        '--listen',
        String(port),
        '--upstream',
        String(app.port),
        '--policy-file',
        policyFile,
        '--audit-file',
        auditFile,
        '--family',
        'web',
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      await waitFor(
        async () => stderr.includes('ecs-admission waas: http://'),
        20_000,
        `proxy start (${stderr})`,
      );
      const post = () =>
        send(port, '/', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: SEEDS_SQLI,
        });

      // Act
      const blocked = await post();
      await writeFile(policyFile, policy('alert'));
      await waitFor(async () => stderr.includes('reloaded (effect alert)'), 10_000, 'reload');
      const passed = await post();
      child.kill('SIGTERM');
      const code = await exited;

      // Assess
      expect(blocked.status).toBe(403);
      expect(blocked.body).toContain('Request blocked');
      expect(passed.status).toBe(200);
      expect(code).toBe(0);
      const audits = (await readFile(auditFile, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => AuditSchema.parse(JSON.parse(l)));
      expect(audits.map((a) => [a.kind, a.effect, a.family, a.rule])).toEqual([
        ['waas', 'prevent', 'web', 'web-waas'],
        ['waas', 'alert', 'web', 'web-waas'],
      ]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('names the field when the policy file is not a compiled policy', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'waas-cli-'));
    const policyFile = join(dir, 'policy.json');
    await writeFile(
      policyFile,
      JSON.stringify({ waas: { effect: 'block', protections: [], paranoiaLevel: 1 } }),
    );

    // Act
    const child = spawn(
      process.execPath,
      [
        BIN,
        'waas',
        '--listen',
        '1',
        '--upstream',
        '2',
        '--policy-file',
        policyFile,
        '--audit-file',
        join(dir, 'a'),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/--policy-file .*waas\.effect/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
