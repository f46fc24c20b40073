import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EcsSimulator, startEcsSimulator } from '../../../src/local/ecs-simulator/ecs-simulator.js';

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

const td = (family: string): RegisterTaskDefinitionCommandInput => ({
  family,
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'app', image: 'nginx:1.27', entryPoint: ['nginx'] }],
});

describe('Function: startEcsSimulator', () => {
  let sim: EcsSimulator;
  let ecs: ECSClient;
  beforeAll(async () => {
    sim = await startEcsSimulator({ account: '111122223333', region: 'eu-west-1' });
    ecs = sim.client();
  });
  afterAll(async () => {
    ecs.destroy();
    await sim.close();
  });

  it('registers revisions counting from 1 per family, with ARNs from account and region', async () => {
    // Act
    const a = await ecs.send(
      new RegisterTaskDefinitionCommand({ ...td('web'), tags: [{ key: 'team', value: 'a' }] }),
    );
    const b = await ecs.send(new RegisterTaskDefinitionCommand(td('web')));
    const c = await ecs.send(new RegisterTaskDefinitionCommand(td('api')));

    // Assess
    expect(a.taskDefinition?.taskDefinitionArn).toBe(
      'arn:aws:ecs:eu-west-1:111122223333:task-definition/web:1',
    );
    expect(b.taskDefinition?.revision).toBe(2);
    expect(c.taskDefinition?.revision).toBe(1);
    expect(a.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    expect(a.tags).toEqual([{ key: 'team', value: 'a' }]);
  });

  it('describes by bare family (latest ACTIVE), family:revision and ARN, with tags only when asked', async () => {
    // Act
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    const byRev = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1', include: ['TAGS'] }),
    );
    const byArn = await ecs.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/web:1',
      }),
    );

    // Assess
    expect(latest.taskDefinition?.revision).toBe(2);
    expect(latest.tags).toBeUndefined();
    expect(byRev.tags).toEqual([{ key: 'team', value: 'a' }]);
    expect(byArn.taskDefinition?.family).toBe('web');
  });

  it('makes a deregistered revision INACTIVE, so the bare family resolves to the previous ACTIVE one', async () => {
    // Act
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:2' }));
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    const inactive = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'web', status: 'INACTIVE' }),
    );
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'ACTIVE' }));
    const next = await ecs.send(new RegisterTaskDefinitionCommand(td('web')));

    // Assess
    expect(latest.taskDefinition?.revision).toBe(1);
    expect(inactive.taskDefinitionArns).toEqual(['arn:aws:ecs:eu-west-1:111122223333:task-definition/web:2']);
    expect(families.families).toEqual(['api', 'web']);
    expect(next.taskDefinition?.revision).toBe(3);
  });

  it('answers unknown task definitions and bad input with the ECS error codes', async () => {
    // Act
    const missing = failure(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' })));
    const badFamily = failure(
      ecs.send(new RegisterTaskDefinitionCommand({ ...td('x'), family: '[random string]' })),
    );
    const bareDeregister = failure(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web' })));

    // Assess
    expect(await missing).toMatchObject({
      name: 'ClientException',
      message: 'Unable to describe task definition.',
    });
    expect(await badFamily).toMatchObject({ name: 'ClientException', $metadata: { httpStatusCode: 400 } });
    expect(await bareDeregister).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('tags resources and lists their tags', async () => {
    // Prepare
    const arn = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/api:1';

    // Act
    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'k', value: 'v' }] }));
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));

    // Assess
    expect(tags.tags).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('creates services, pages ListServices by maxResults, and batches DescribeServices with MISSING failures', async () => {
    // Prepare
    await ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    for (let i = 0; i < 12; i++) {
      await ecs.send(
        new CreateServiceCommand({
          cluster: 'prod',
          serviceName: `s${i}`,
          taskDefinition: 'api',
          desiredCount: 1,
        }),
      );
    }

    // Act
    const first = await ecs.send(new ListServicesCommand({ cluster: 'prod', maxResults: 5 }));
    const second = await ecs.send(
      new ListServicesCommand({ cluster: 'prod', maxResults: 10, nextToken: first.nextToken }),
    );
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['s0', 'ghost'] }),
    );
    const tooMany = failure(
      ecs.send(
        new DescribeServicesCommand({
          cluster: 'prod',
          services: Array.from({ length: 11 }, (_, i) => `s${i}`),
        }),
      ),
    );

    // Assess
    expect(first.serviceArns).toHaveLength(5);
    expect(second.serviceArns).toHaveLength(7);
    expect(second.nextToken).toBeUndefined();
    expect(described.services?.[0]?.taskDefinition).toBe(
      'arn:aws:ecs:eu-west-1:111122223333:task-definition/api:1',
    );
    expect(described.failures).toEqual([
      { arn: 'arn:aws:ecs:eu-west-1:111122223333:service/prod/ghost', reason: 'MISSING' },
    ]);
    expect(await tooMany).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('refuses a duplicate service, an unknown cluster and a task definition change on CODE_DEPLOY services', async () => {
    // Prepare
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'prod',
        serviceName: 'bg',
        taskDefinition: 'api:1',
        deploymentController: { type: 'CODE_DEPLOY' },
      }),
    );

    // Act
    const dup = failure(
      ecs.send(new CreateServiceCommand({ cluster: 'prod', serviceName: 's0', taskDefinition: 'api' })),
    );
    const noCluster = failure(ecs.send(new ListServicesCommand({ cluster: 'nowhere' })));
    const codeDeploy = failure(
      ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'bg', taskDefinition: 'web:1' })),
    );
    const moved = await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 's1', taskDefinition: 'web:3' }),
    );

    // Assess
    expect(await dup).toMatchObject({ name: 'InvalidParameterException' });
    expect(await noCluster).toMatchObject({ name: 'ClusterNotFoundException' });
    expect(await codeDeploy).toMatchObject({ name: 'InvalidParameterException' });
    expect(moved.service?.taskDefinition).toBe('arn:aws:ecs:eu-west-1:111122223333:task-definition/web:3');
  });

  it('runs, lists, describes and stops tasks', async () => {
    // Act
    const run = await ecs.send(new RunTaskCommand({ cluster: 'prod', taskDefinition: 'api', count: 2 }));
    const arn = run.tasks?.[0]?.taskArn ?? '';
    await ecs.send(new StopTaskCommand({ cluster: 'prod', task: arn, reason: 'because' }));
    const running = await ecs.send(new ListTasksCommand({ cluster: 'prod' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arn] }));

    // Assess
    expect(run.tasks).toHaveLength(2);
    expect(running.taskArns).toHaveLength(1);
    expect(described.tasks?.[0]?.lastStatus).toBe('STOPPED');
    expect(described.tasks?.[0]?.stoppedReason).toBe('because');
  });

  it('lists and describes clusters', async () => {
    // Act
    const list = await ecs.send(new ListClustersCommand({}));
    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['prod', 'nope'] }));

    // Assess
    expect(list.clusterArns).toEqual(['arn:aws:ecs:eu-west-1:111122223333:cluster/prod']);
    expect(described.clusters?.[0]?.activeServicesCount).toBe(13);
    expect(described.failures?.[0]?.reason).toBe('MISSING');
  });

  it('emits a CloudTrail event for every mutating call, carrying the caller identity and any errorCode', async () => {
    // Prepare
    sim.events.drain();
    const controller = sim.client(sim.identity('ecs-admission'));

    // Act
    await controller.send(new RegisterTaskDefinitionCommand(td('own')));
    await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'own' }));
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'nope' })).catch(() => undefined);
    const events = sim.events.drain();
    controller.destroy();

    // Assess
    expect(events.map((e) => e.detail.eventName)).toEqual(['RegisterTaskDefinition', 'UpdateService']);
    const [register, update] = events;
    expect(register?.source).toBe('aws.ecs');
    expect(register?.['detail-type']).toBe('AWS API Call via CloudTrail');
    expect(register?.detail.userIdentity).toMatchObject({
      arn: 'arn:aws:sts::111122223333:assumed-role/ecs-admission/ecs-admission',
      sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/ecs-admission' } },
    });
    expect(register?.detail.responseElements).toMatchObject({
      taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/own:1' },
    });
    expect(update?.detail.errorCode).toBe('ServiceNotFoundException');
  });

  it('counts API calls by operation and by caller', () => {
    // Assess
    expect(sim.apiCalls.RegisterTaskDefinition).toBe(6);
    expect(sim.callsBy(sim.identity('ecs-admission'))).toEqual({ RegisterTaskDefinition: 1 });
  });
});

describe('Function: startEcsSimulator (faults)', () => {
  it('injects throttling, server errors and concurrent-revision errors by seeded probability', async () => {
    // Prepare
    const sim = await startEcsSimulator({ faults: { 'concurrent-revision': 1 }, seed: 7 });
    const ecs = sim.client();
    ecs.config.maxAttempts = async () => 1;
    const throttled = await startEcsSimulator({ faults: { throttle: 1 } });
    const t = throttled.client();
    const broken = await startEcsSimulator({ faults: { 'server-error': 1 } });
    const b = broken.client();

    // Act
    const conc = failure(ecs.send(new RegisterTaskDefinitionCommand(td('x'))));
    const thr = failure(t.send(new ListClustersCommand({})));
    const err = failure(b.send(new ListClustersCommand({})));

    // Assess
    expect(await conc).toMatchObject({
      name: 'ClientException',
      message: 'Too many concurrent attempts to create a new revision of the specified family.',
    });
    expect(await thr).toMatchObject({ name: 'ThrottlingException' });
    expect(await err).toMatchObject({ name: 'ServerException', $metadata: { httpStatusCode: 500 } });
    expect(throttled.apiCalls.ListClusters).toBe(3);
    for (const c of [ecs, t, b]) c.destroy();
    await Promise.all([sim.close(), throttled.close(), broken.close()]);
  });

  it('duplicates and reorders delivery reproducibly from the seed', async () => {
    // Prepare
    const run = async () => {
      const sim = await startEcsSimulator({ faults: { duplicate: 0.5, delay: 0.5 }, seed: 42 });
      const ecs = sim.client();
      for (let i = 0; i < 10; i++) await ecs.send(new CreateClusterCommand({ clusterName: `c${i}` }));
      const names = sim.events
        .drain()
        .map((e) => (e.detail.requestParameters as { clusterName: string }).clusterName);
      ecs.destroy();
      await sim.close();
      return names;
    };

    // Act
    const a = await run();
    const b = await run();

    // Assess
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(10);
    expect(a).not.toEqual([...a].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    expect(new Set(a).size).toBe(10);
  });
});
