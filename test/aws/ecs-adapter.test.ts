import {
  ClientException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EcsCallError } from '../../src/admission/errors.js';
import { EcsAdapter } from '../../src/aws/ecs-adapter.js';

const ecsMock = mockClient(ECSClient);
const concurrent = () =>
  new ClientException({
    message: 'Too many concurrent attempts to create a new revision of the specified family.',
    $metadata: {},
  });
const request = { family: 'web', containerDefinitions: [{ name: 'app', image: 'nginx' }] };
const adapter = (sleeps: number[] = []) =>
  new EcsAdapter(new ECSClient({ region: 'us-east-1' }), {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    maxAttempts: 4,
  });

describe('Class: EcsAdapter', () => {
  afterEach(() => ecsMock.reset());

  it('retries the concurrent-revision ClientException with growing, jittered backoff', async () => {
    // Prepare
    const sleeps: number[] = [];
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .rejectsOnce(concurrent())
      .rejectsOnce(concurrent())
      .resolves({
        taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2' },
      });

    // Act
    const out = await adapter(sleeps).registerTaskDefinition(request, [{ key: 'm', value: '1' }]);

    // Assess
    expect(out.taskDefinition.taskDefinitionArn).toMatch(/web:2$/);
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(3);
    expect(sleeps).toEqual([125, 250]);
  });

  it('fails loudly, naming the operation and attempts, when the concurrent-revision error outlasts the retries', async () => {
    // Prepare
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(concurrent());

    // Act
    const error = await adapter()
      .registerTaskDefinition(request)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EcsCallError);
    expect(error).toMatchObject({
      operation: 'RegisterTaskDefinition',
      code: 'ClientException',
      attempts: 4,
    });
  });

  it('does not retry other ClientExceptions', async () => {
    // Prepare
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .rejects(new ClientException({ message: 'Invalid', $metadata: {} }));

    // Act
    const error = await adapter()
      .registerTaskDefinition(request)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ attempts: 1 });
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it('merges marker tags over the request tags, the marker winning on the same key', async () => {
    // Prepare
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: 'arn:x' } });

    // Act
    await adapter().registerTaskDefinition(
      {
        ...request,
        tags: [
          { key: 'team', value: 'a' },
          { key: 'm', value: 'old' },
        ],
      },
      [{ key: 'm', value: 'new' }],
    );

    // Assess
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.tags).toEqual([
      { key: 'team', value: 'a' },
      { key: 'm', value: 'new' },
    ]);
  });

  it('describes with TAGS and returns undefined for an unknown task definition', async () => {
    // Prepare
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'web:1' })
      .resolves({ taskDefinition: { family: 'web' }, tags: [{ key: 'k', value: 'v' }] })
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'nope' })
      .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));

    // Act
    const found = await adapter().describeTaskDefinition('web:1');
    const missing = await adapter().describeTaskDefinition('nope');

    // Assess
    expect(found?.tags).toEqual([{ key: 'k', value: 'v' }]);
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input.include).toEqual(['TAGS']);
    expect(missing).toBeUndefined();
  });

  it('describes services in batches of 10 and leaves out INACTIVE ones', async () => {
    // Prepare
    ecsMock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((s) => ({ serviceName: s, status: s === 's3' ? 'INACTIVE' : 'ACTIVE' })),
    }));
    const names = Array.from({ length: 23 }, (_, i) => `s${i}`);

    // Act
    const out = await adapter().describeServices('prod', names);

    // Assess
    expect(
      ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input.services?.length),
    ).toEqual([10, 10, 3]);
    expect(out).toHaveLength(22);
  });

  it('keeps only the exact family from a familyPrefix listing', async () => {
    // Prepare
    ecsMock.on(ListTaskDefinitionsCommand).resolves({
      taskDefinitionArns: [
        'arn:aws:ecs:us-east-1:111122223333:task-definition/web-api:3',
        'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2',
      ],
    });

    // Act
    const out = await adapter().listFamilyRevisions('web');

    // Assess
    expect(out).toEqual(['arn:aws:ecs:us-east-1:111122223333:task-definition/web:2']);
  });

  it('caps the StopTask reason at the 255 characters ECS accepts', async () => {
    // Prepare
    ecsMock.on(StopTaskCommand).resolves({});

    // Act
    await adapter().stopTask('prod', 'arn:task', 'x'.repeat(400));

    // Assess
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input.reason).toHaveLength(255);
  });
});
