import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionTables } from '../../src/aws/admission-tables.js';
import { loadAccount } from '../../src/local/ecs-simulator/account-file.js';
import { type EcsSimulator, startEcsSimulator } from '../../src/local/ecs-simulator/ecs-simulator.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/local/local-dynamo.js';
import { verifyDefenderToken } from '../../src/policy/defender-token.js';
import { ACCOUNT, account, fargate, tdArn } from '../admission/support/fixtures.js';
import { type FakeAwsJson, startFakeAwsJson } from '../stack/fake-aws-json.js';

const SIGNING_KEY = 's'.repeat(64);

/** A stand-in for EventBridge's PutEvents (JSON 1.1), recording what the Lambda puts. */
async function startFakeEventBridge(): Promise<{
  server: Server;
  endpoint: string;
  entries: { DetailType: string; Detail: string }[];
}> {
  const entries: { DetailType: string; Detail: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const input = JSON.parse(body) as { Entries: { DetailType: string; Detail: string }[] };
      entries.push(...input.Entries);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, entries };
}

describe('Lambda handlers: functions/admission.ts and functions/reconcile.ts', () => {
  let sim: EcsSimulator;
  let dynamo: LocalDynamo;
  let bus: Awaited<ReturnType<typeof startFakeEventBridge>>;
  let secrets: FakeAwsJson;
  const saved = { ...process.env };

  beforeAll(async () => {
    sim = await startEcsSimulator();
    loadAccount(
      sim.state,
      account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
      sim.user.arn,
    );
    dynamo = await startLocalDynamo();
    await createAdmissionTables(dynamo.client, { stateTable: 'fn-state', indexTable: 'fn-index' });
    bus = await startFakeEventBridge();
    secrets = await startFakeAwsJson({
      'secretsmanager.GetSecretValue': (body) => ({ ARN: body.SecretId, SecretString: SIGNING_KEY }),
    });
    const role = sim.identity('ecs-admission');
    // The unchanged handlers reach the local services through the SDK's endpoint variables.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: role.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_ECS: sim.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      ECS_ADMISSION_SIGNING_KEY_SECRET_ARN:
        'arn:aws:secretsmanager:us-east-1:111122223333:secret:signing-key',
      ECS_ADMISSION_MODE: 'enforce',
      ECS_ADMISSION_STATE_TABLE: 'fn-state',
      ECS_ADMISSION_INDEX_TABLE: 'fn-index',
      ECS_ADMISSION_BUS_NAME: 'ecs-admission',
      ECS_ADMISSION_OWN_ROLE_ARNS: role.roleArn,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await sim.close();
    await dynamo.close();
    await secrets.stop();
    await new Promise<void>((resolve) => bus.server.close(() => resolve()));
  });

  it('handles a recorded UpdateService event end to end: twin registered, service moved, decision on the bus', async () => {
    // Prepare
    const user = sim.client();
    await user.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 2 }));
    user.destroy();
    const [event] = sim.events.drain();
    const { handler } = await import('../../functions/admission.js');

    // Act
    const out = await handler(event, {} as Context);

    // Assess
    expect(out).toEqual({ kind: 'service', decisions: 1 });
    expect(sim.state.snapshot().services[0]?.taskDefinition).toBe(tdArn('web', 2));
    expect(bus.entries.map((e) => e.DetailType)).toEqual(['ECS Admission Decision']);
    expect(JSON.parse(bus.entries[0]?.Detail ?? '{}')).toMatchObject({
      outcome: 'protected',
      mode: 'enforce',
    });
  });

  it('gives the twin’s sidecar a token for its account and family, signed with the key read once', async () => {
    // Prepare
    const user = sim.client();

    // Act
    const twin = await user.send(new DescribeTaskDefinitionCommand({ taskDefinition: tdArn('web', 2) }));
    user.destroy();

    // Assess
    const sidecar = twin.taskDefinition?.containerDefinitions?.find(
      (c) => c.name === 'ecs-admission-defender',
    );
    const token = sidecar?.environment?.find((e) => e.name === 'ECS_ADMISSION_TOKEN')?.value ?? '';
    expect(verifyDefenderToken(token, SIGNING_KEY, { family: 'web' }).account).toBe(ACCOUNT);
    expect(secrets.calls.map((c) => [c.target, c.body.SecretId])).toEqual([
      ['secretsmanager.GetSecretValue', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:signing-key'],
    ]);
    expect(bus.entries.map((e) => e.Detail).join()).not.toContain(token);
  });

  it('skips its own follow-up events without calling ECS', async () => {
    // Prepare
    const own = sim.events.drain();
    const { handler } = await import('../../functions/admission.js');
    sim.resetCounts();

    // Act
    const outs = [];
    for (const e of own) outs.push(await handler(e, {} as Context));

    // Assess
    expect(outs).toEqual(own.map(() => ({ kind: 'own-call', decisions: 0 })));
    expect(sim.apiCalls).toEqual({});
  });

  it('runs the sweep with the Lambda remaining time and returns its summary', async () => {
    // Prepare
    const { handler } = await import('../../functions/reconcile.js');

    // Act
    const summary = await handler({}, { getRemainingTimeInMillis: () => 600_000 } as Context);

    // Assess
    expect(summary).toMatchObject({
      kind: 'sweep',
      complete: true,
      servicesChecked: 1,
      counts: { 'already-protected': 1 },
    });
    expect(bus.entries.at(-1)?.DetailType).toBe('ECS Admission Sweep');
  });
});
