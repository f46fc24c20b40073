import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyDefenderToken } from '../../../src/policy/defender-token.js';
import { assertBuilt, ROOT, runCli } from '../run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
const events = join(dir, 'events.ndjson');
// The local stack's data folder: its signing key mints the twins' tokens.
const data = join(dir, 'data');
const readEvent = (name: string) => readFileSync(join(ROOT, 'events', name), 'utf8');

describe('Command: ecs-admission simulate', () => {
  beforeAll(() => {
    assertBuilt();
    // NDJSON on purpose: one of the three accepted forms.
    const lines = [
      'register-task-definition.json',
      'update-service.json',
      'run-task.json',
      'ignored-create-cluster.json',
    ].map((f) => JSON.stringify(JSON.parse(readEvent(f))));
    writeFileSync(events, `${lines.join('\n')}\n`);
  });

  it('replays events against the account and writes state, decisions and API calls in the documented format', async () => {
    // Prepare
    const out = join(dir, 'out.json');

    // Act
    const run = await runCli([
      'simulate',
      '--account',
      'examples/account.json',
      '--events',
      events,
      '--out',
      out,
      '--data',
      data,
    ]);

    // Assess
    expect(run.stderr).toMatch(/^simulate: 4 event\(s\), \d+ deliveries; .*protected.*; \d+ ECS API calls$/m);
    expect(run.stderr).not.toContain('failed every retry');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(report)).toEqual(['taskDefinitions', 'services', 'decisions', 'apiCalls']);
    expect(report.taskDefinitions[0]).toMatchObject({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:1',
      family: 'web',
      revision: 1,
      status: 'ACTIVE',
      tags: [],
    });
    const web = report.services.find((s: { serviceName: string }) => s.serviceName === 'web');
    expect(Object.keys(web)).toEqual([
      'clusterName',
      'serviceName',
      'taskDefinition',
      'deploymentController',
    ]);
    const twin = report.taskDefinitions.find(
      (t: { taskDefinitionArn: string }) => t.taskDefinitionArn === web.taskDefinition,
    );
    expect(twin.tags).toContainEqual({ key: 'ecs-admission:source', value: 'web:1' });
    const sidecar = twin.containerDefinitions.find(
      (c: { name: string }) => c.name === 'ecs-admission-defender',
    ) as { environment: { name: string; value: string }[] };
    const token = sidecar.environment.find((e) => e.name === 'ECS_ADMISSION_TOKEN')?.value ?? '';
    const key = readFileSync(join(data, 'signing-key'), 'utf8').trim();
    expect(verifyDefenderToken(token, key, { family: 'web' }).account).toBe('111122223333');
    expect(JSON.stringify(report.decisions)).not.toContain(token);
    expect(report.apiCalls.RegisterTaskDefinition).toBeGreaterThan(0);
    expect(report.decisions.every((d: { embedVersion: string }) => typeof d.embedVersion === 'string')).toBe(
      true,
    );
  });

  it('gives the same result for the same seed under faults', async () => {
    // Act
    const args = [
      'simulate',
      '--account',
      'examples/account.json',
      '--events',
      events,
      '--faults',
      'duplicate=0.5,delay=0.3,concurrent-revision=0.3',
      '--seed',
      '7',
      '--data',
      data,
    ];
    const [a, b] = [await runCli(args), await runCli(args)];

    // Assess
    expect(a.stderr).not.toContain('dead letter');
    expect(a.code).toBe(0);
    const strip = (text: string) => {
      const r = JSON.parse(text);
      return {
        services: r.services,
        tds: r.taskDefinitions.map((t: { taskDefinitionArn: string }) => t.taskDefinitionArn),
      };
    };
    expect(strip(a.stdout)).toEqual(strip(b.stdout));
  });

  const bad: { name: string; args: string[]; code: number; message: RegExp }[] = [
    {
      name: 'missing --events',
      args: ['--account', 'examples/account.json'],
      code: 2,
      message: /--account and --events are required/,
    },
    {
      name: 'bad fault name',
      args: ['--account', 'examples/account.json', '--events', events, '--faults', 'thrott=0.1'],
      code: 2,
      message: /--faults/,
    },
    {
      name: 'probability over 1',
      args: ['--account', 'examples/account.json', '--events', events, '--faults', 'throttle=2'],
      code: 2,
      message: /throttle/,
    },
    {
      name: 'missing account file',
      args: ['--account', join(dir, 'nope.json'), '--events', events],
      code: 2,
      message: /no such file/,
    },
    {
      name: 'bad seed',
      args: ['--account', 'examples/account.json', '--events', events, '--seed', 'x'],
      code: 2,
      message: /--seed/,
    },
  ];

  it.each(bad)('refuses $name with a clear message and no stack trace', async ({ args, code, message }) => {
    // Act
    const run = await runCli(['simulate', ...args]);

    // Assess
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the bad field of an invalid account file', async () => {
    // Prepare
    const file = join(dir, 'bad-account.json');
    writeFileSync(
      file,
      JSON.stringify({ account: '123', region: 'us-east-1', clusters: [{ services: [] }] }),
    );

    // Act
    const run = await runCli(['simulate', '--account', file, '--events', events]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('account: expected a 12-digit AWS account ID');
    expect(run.stderr).toContain('clusters.0.clusterName');
  });
});
