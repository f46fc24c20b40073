import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import {
  type AdmissionReplay,
  type AdmissionReplayOptions,
  startAdmissionReplay,
} from '../../src/local/admission-replay.js';
import type { CloudTrailEnvelope } from '../../src/local/ecs-simulator/cloudtrail-event.js';
import { account, fargate, tdArn } from './support/fixtures.js';

let replay: AdmissionReplay | undefined;
afterEach(async () => {
  await replay?.close();
  replay = undefined;
});

async function start(o: Partial<AdmissionReplayOptions> & Pick<AdmissionReplayOptions, 'account'>) {
  replay = await startAdmissionReplay(o);
  return replay;
}

/** Makes a call as a user of the account and returns the CloudTrail event it produced. */
async function userCall(
  r: AdmissionReplay,
  send: (client: ReturnType<AdmissionReplay['sim']['client']>) => Promise<unknown>,
) {
  const client = r.sim.client();
  try {
    await send(client);
  } finally {
    client.destroy();
  }
  const events = r.sim.events.drain();
  return events as CloudTrailEnvelope[];
}

const service = (r: AdmissionReplay, cluster: string, name: string) =>
  r.sim.state.snapshot().services.find((s) => s.clusterName === cluster && s.serviceName === name);
const twinsOf = (r: AdmissionReplay, source: string) =>
  r.sim.state
    .snapshot()
    .taskDefinitions.filter((t) =>
      (t.tags as { key: string; value: string }[]).some(
        (g) => g.key === 'ecs-admission:source' && g.value === source,
      ),
    );
const controllerWrites = (r: AdmissionReplay) => {
  const c = r.sim.callsBy(r.controllerIdentity);
  return (
    (c.RegisterTaskDefinition ?? 0) +
    (c.UpdateService ?? 0) +
    (c.StopTask ?? 0) +
    (c.DeregisterTaskDefinition ?? 0)
  );
};
const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

describe('Class: AdmissionController (against the ECS simulator)', () => {
  it('protects a new revision and moves the services that run it, then skips its own follow-up events with no API call', async () => {
    // Prepare
    const r = await start({
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const [registered] = await userCall(r, async (c) => {
      await c.send(new RegisterTaskDefinitionCommand(fargate('web') as RegisterTaskDefinitionCommandInput));
      await c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:2' }));
    });

    // Act
    await r.deliver(registered);
    const followUps = r.sim.events.drain();
    const before = total(r.sim.callsBy(r.controllerIdentity));
    for (const e of followUps) await r.deliver(e);

    // Assess
    expect(service(r, 'prod', 'web')?.taskDefinition).toBe(tdArn('web', 3));
    expect(twinsOf(r, 'web:2')).toHaveLength(1);
    expect(followUps.map((e) => e.detail.eventName)).toEqual(['RegisterTaskDefinition', 'UpdateService']);
    expect(total(r.sim.callsBy(r.controllerIdentity))).toBe(before);
    const [decision] = r.decisions();
    expect(decision).toMatchObject({
      outcome: 'protected',
      source: { family: 'web', revision: 2 },
      protectedRevision: { arn: tdArn('web', 3) },
      mode: 'enforce',
      trigger: { eventName: 'RegisterTaskDefinition' },
    });
    expect(decision?.actions.map((a) => [a.kind, a.result])).toEqual([
      ['register-task-definition', 'done'],
      ['update-service', 'done'],
    ]);
    expect(JSON.stringify(r.bus.entries)).not.toContain('very-secret-value');
  });

  it('protects what a service created from a bare family runs', async () => {
    // Prepare
    const r = await start({
      account: account([fargate('worker')], [{ clusterName: 'staging', services: [] }]),
    });
    const events = await userCall(r, (c) =>
      c.send(new UpdateServiceCommand({ cluster: 'staging', service: 'none' })).catch(() => undefined),
    );
    const created = await userCall(r, async (c) => {
      const { CreateServiceCommand } = await import('@aws-sdk/client-ecs');
      await c.send(
        new CreateServiceCommand({
          cluster: 'staging',
          serviceName: 'worker',
          taskDefinition: 'worker',
          desiredCount: 1,
        }),
      );
    });

    // Act
    for (const e of [...events, ...created]) await r.deliver(e);
    await r.settle();

    // Assess
    expect(service(r, 'staging', 'worker')?.taskDefinition).toBe(tdArn('worker', 2));
    expect(r.decisions().map((d) => d.outcome)).toEqual(['protected']);
  });

  it('reports CODE_DEPLOY services as needing action with the protected ARN and leaves them alone', async () => {
    // Prepare
    const r = await start({
      account: account(
        [fargate('api')],
        [
          {
            clusterName: 'prod',
            services: [{ serviceName: 'api', taskDefinition: 'api:1', type: 'CODE_DEPLOY' }],
          },
        ],
      ),
    });
    const events = await userCall(r, (c) =>
      c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 2 })),
    );

    // Act
    for (const e of events) await r.deliver(e);
    await r.settle();

    // Assess
    expect(service(r, 'prod', 'api')?.taskDefinition).toBe(tdArn('api', 1));
    const action = r.decisions()[0]?.actions.find((a) => a.kind === 'needs-action');
    expect(action?.detail).toContain(tdArn('api', 2));
    expect(r.sim.callsBy(r.controllerIdentity).UpdateService).toBeUndefined();
  });

  it('stops a standalone task in enforce mode with a reason naming the protected revision', async () => {
    // Prepare
    const r = await start({ account: account([fargate('job')], [{ clusterName: 'prod', services: [] }]) });
    let taskArn = '';
    const events = await userCall(r, async (c) => {
      const out = await c.send(new RunTaskCommand({ cluster: 'prod', taskDefinition: 'job' }));
      taskArn = out.tasks?.[0]?.taskArn ?? '';
    });

    // Act
    for (const e of events) await r.deliver(e);
    await r.settle();

    // Assess
    const client = r.sim.client();
    const described = await client.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [taskArn] }));
    client.destroy();
    expect(described.tasks?.[0]?.lastStatus).toBe('STOPPED');
    expect(described.tasks?.[0]?.stoppedReason).toBe(
      'ecs-admission: job:1 is not protected; run job:2 instead',
    );
  });

  it('changes nothing in audit mode and reports the plan', async () => {
    // Prepare
    const r = await start({
      mode: 'audit',
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const events = await userCall(r, async (c) => {
      await c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 3 }));
      await c.send(new RunTaskCommand({ cluster: 'prod', taskDefinition: 'web' }));
    });

    // Act
    for (const e of events) await r.deliver(e);
    await r.sweep();

    // Assess
    expect(controllerWrites(r)).toBe(0);
    expect(service(r, 'prod', 'web')?.taskDefinition).toBe(tdArn('web', 1));
    const results = r.decisions().flatMap((d) => d.actions.map((a) => `${a.kind}:${a.result}`));
    expect(results).toContain('update-service:planned');
    expect(results).toContain('stop-task:planned');
    expect(r.decisions().every((d) => d.mode === 'audit')).toBe(true);
  });

  it('does nothing at all in off mode', async () => {
    // Prepare
    const r = await start({
      mode: 'off',
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const events = await userCall(r, (c) =>
      c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 3 })),
    );

    // Act
    for (const e of events) await r.deliver(e);
    await r.sweep();

    // Assess
    expect(total(r.sim.callsBy(r.controllerIdentity))).toBe(0);
    expect(r.decisions()).toEqual([]);
  });

  it('skips excluded families and opted-out task definitions with the reason and no ECS write', async () => {
    // Prepare
    const r = await start({
      exclusions: { families: ['legacy-*'] },
      account: account(
        [fargate('legacy-web'), fargate('reports', { tags: [{ key: 'ecs-admission:skip', value: 'true' }] })],
        [
          {
            clusterName: 'prod',
            services: [
              { serviceName: 'a', taskDefinition: 'legacy-web:1' },
              { serviceName: 'b', taskDefinition: 'reports:1' },
            ],
          },
        ],
      ),
    });
    const events = await userCall(r, async (c) => {
      await c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'a', desiredCount: 2 }));
      await c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'b', desiredCount: 2 }));
    });

    // Act
    for (const e of events) await r.deliver(e);

    // Assess
    expect(r.decisions().map((d) => [d.outcome, d.reason])).toEqual([
      ['skipped', 'family "legacy-web" is excluded by the pattern "legacy-*"'],
      ['skipped', 'it carries the opt-out tag ecs-admission:skip=true'],
    ]);
    expect(controllerWrites(r)).toBe(0);
  });

  it('registers one twin for duplicated and concurrent deliveries of the same event', async () => {
    // Prepare
    const r = await start({
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const [event] = await userCall(r, (c) =>
      c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 2 })),
    );

    // Act
    await Promise.all(Array.from({ length: 6 }, () => r.deliver(event)));
    await r.deliver(event);
    await r.settle();

    // Assess
    expect(twinsOf(r, 'web:1')).toHaveLength(1);
    expect(r.sim.callsBy(r.controllerIdentity).RegisterTaskDefinition).toBe(1);
    expect(service(r, 'prod', 'web')?.taskDefinition).toBe(tdArn('web', 2));
    expect(r.deadLetters).toEqual([]);
  });

  it('finishes a run that crashed between registering and recording, without registering again', async () => {
    // Prepare
    let clock = Date.parse('2026-11-20T10:00:00Z');
    const r = await start({
      now: () => clock,
      claimMs: 60_000,
      maxDeliveries: 1,
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const [event] = await userCall(r, (c) =>
      c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 2 })),
    );
    const record = r.runtime.state.recordTwin.bind(r.runtime.state);
    r.runtime.state.recordTwin = async () => {
      throw new Error('Lambda timed out');
    };
    await r.deliver(event);
    r.runtime.state.recordTwin = record;
    r.sim.events.drain();

    // Act
    const early = await r.runtime.controller.handle(event);
    clock += 61_000;
    await r.deliver(event);

    // Assess
    expect(early.error).toMatchObject({ name: 'ClaimBusyError' });
    expect(r.sim.callsBy(r.controllerIdentity).RegisterTaskDefinition).toBe(1);
    expect(twinsOf(r, 'web:1')).toHaveLength(1);
    expect(service(r, 'prod', 'web')?.taskDefinition).toBe(tdArn('web', 2));
    const last = r.decisions().at(-1);
    expect(last?.actions[0]).toMatchObject({
      kind: 'register-task-definition',
      result: 'skipped',
      detail: expect.stringContaining('marker'),
    });
  });

  it('does not fight a circuit breaker that rolled a protected deployment back', async () => {
    // Prepare
    const r = await start({
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    await r.sweep();
    r.sim.events.drain();
    // The circuit breaker puts the service back on the revision it came from.
    r.sim.state.operations.UpdateService?.(
      { cluster: 'prod', service: 'web', taskDefinition: 'web:1' },
      'ecs-service-scheduler',
    );
    const failed = {
      version: '0',
      id: 'f-1',
      'detail-type': 'ECS Deployment State Change',
      source: 'aws.ecs',
      account: '111122223333',
      region: 'us-east-1',
      resources: ['arn:aws:ecs:us-east-1:111122223333:service/prod/web'],
      detail: {
        eventType: 'ERROR',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        reason: 'ECS deployment circuit breaker: task failed to start.',
      },
    };

    // Act
    await r.deliver(failed);
    await r.sweep();
    await r.settle();

    // Assess
    expect(service(r, 'prod', 'web')?.taskDefinition).toBe(tdArn('web', 1));
    const outcomes = r.decisions().map((d) => d.outcome);
    expect(outcomes).toEqual(['protected', 'failed', 'protected']);
    expect(r.decisions()[2]?.actions.map((a) => a.kind)).toEqual([
      'register-task-definition',
      'needs-action',
    ]);
    expect(r.sim.callsBy(r.controllerIdentity).UpdateService).toBe(1);
  });

  it('deregisters the source revision once no service runs it, when asked to', async () => {
    // Prepare
    const r = await start({
      deregisterSource: true,
      account: account(
        [fargate('web')],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const [registered] = await userCall(r, async (c) => {
      await c.send(new RegisterTaskDefinitionCommand(fargate('web') as RegisterTaskDefinitionCommandInput));
      await c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: 'web:2' }));
    });

    // Act
    await r.deliver(registered);

    // Assess
    const client = r.sim.client();
    const source = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:2' }));
    client.destroy();
    expect(source.taskDefinition?.status).toBe('INACTIVE');
    expect(r.decisions()[0]?.actions.at(-1)).toMatchObject({
      kind: 'deregister-task-definition',
      result: 'done',
    });
  });

  it('answers service look-ups from the family index after one scan', async () => {
    // Prepare
    const clusters = Array.from({ length: 3 }, (_, c) => ({
      clusterName: `c${c}`,
      services: Array.from({ length: 4 }, (_, s) => ({ serviceName: `s${s}`, taskDefinition: `f${s}:1` })),
    }));
    const r = await start({
      account: account(
        [0, 1, 2, 3].map((i) => fargate(`f${i}`)),
        clusters,
      ),
    });
    const events = await userCall(r, async (c) => {
      await c.send(new RegisterTaskDefinitionCommand(fargate('f0') as RegisterTaskDefinitionCommandInput));
      await c.send(new RegisterTaskDefinitionCommand(fargate('f1') as RegisterTaskDefinitionCommandInput));
    });

    // Act
    await r.deliver(events[0]);
    const afterFirst = { ...r.sim.callsBy(r.controllerIdentity) };
    r.sim.resetCounts();
    await r.deliver(events[1]);
    const afterSecond = r.sim.callsBy(r.controllerIdentity);

    // Assess
    expect(afterFirst.ListClusters).toBe(1);
    expect(afterFirst.ListServices).toBe(3);
    expect(afterSecond.ListClusters).toBeUndefined();
    expect(afterSecond).toEqual({
      DescribeTaskDefinition: 1,
      ListTaskDefinitions: 1,
      RegisterTaskDefinition: 1,
    });
    expect(r.deadLetters).toEqual([]);
    expect(r.decisions().map((d) => d.outcome)).toEqual(['protected', 'protected']);
  });

  it('uses a twin embedded outside the controller (found by its marker) instead of registering another', async () => {
    // Prepare
    const described = {
      taskDefinition: {
        ...fargate('web'),
        taskDefinitionArn: tdArn('web', 1),
        revision: 1,
        status: 'ACTIVE',
      },
    };
    const embedded = embedTaskDefinition(described, resolveEmbedConfig({})).output as never;
    const r = await start({
      account: account(
        [fargate('web'), embedded],
        [{ clusterName: 'prod', services: [{ serviceName: 'web', taskDefinition: 'web:1' }] }],
      ),
    });
    const events = await userCall(r, (c) =>
      c.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 2 })),
    );

    // Act
    for (const e of events) await r.deliver(e);

    // Assess
    expect(r.sim.callsBy(r.controllerIdentity).RegisterTaskDefinition).toBeUndefined();
    expect(service(r, 'prod', 'web')?.taskDefinition).toBe(tdArn('web', 2));
    expect(r.decisions()[0]?.actions[0]).toMatchObject({
      kind: 'register-task-definition',
      result: 'skipped',
    });
  });
});
