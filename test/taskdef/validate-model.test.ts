import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnknownShapeError } from '../../src/taskdef/errors.js';
import { validateAgainstModel } from '../../src/taskdef/validate-model.js';

const examples = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/aws/aws-ecs-api-examples.json'), 'utf8'),
) as { examples: Record<string, { input: unknown; output: unknown }[]> };

const container = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'nginx:1.27', ...extra });
const request = (extra: Record<string, unknown> = {}) => ({
  family: 'web',
  containerDefinitions: [container()],
  ...extra,
});
const fargate = (extra: Record<string, unknown> = {}) =>
  request({
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    ...extra,
  });

describe('Function: validateAgainstModel', () => {
  const registerExamples = examples.examples.RegisterTaskDefinition ?? [];
  const describeExamples = examples.examples.DescribeTaskDefinition ?? [];

  it('has AWS examples to check against', () => {
    expect(registerExamples.length).toBeGreaterThan(0);
    expect(describeExamples.length).toBeGreaterThan(0);
  });

  it.each(registerExamples.map((example, i) => ({ i, input: example.input })))(
    'accepts AWS RegisterTaskDefinition example $i',
    ({ input }) => {
      expect(validateAgainstModel(input)).toEqual([]);
    },
  );

  it.each(describeExamples.map((example, i) => ({ i, output: example.output })))(
    'accepts AWS DescribeTaskDefinition example $i against the response shape',
    ({ output }) => {
      expect(validateAgainstModel(output, 'DescribeTaskDefinitionResponse')).toEqual([]);
    },
  );

  it('accepts a typical Fargate request', () => {
    expect(
      validateAgainstModel(
        fargate({
          executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
          tags: [{ key: 'team', value: 'payments' }],
          volumes: [{ name: 'data' }],
          containerDefinitions: [
            container({
              logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } },
              mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }],
              dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
              healthCheck: { command: ['CMD', 'true'], interval: 5, timeout: 2, retries: 3, startPeriod: 10 },
            }),
            container({ name: 'init', essential: false }),
          ],
        }),
      ),
    ).toEqual([]);
  });

  const modelCases: { name: string; value: unknown; path: string; message: string | RegExp }[] = [
    {
      name: 'a missing required member',
      value: { containerDefinitions: [container()] },
      path: 'family',
      message: 'required',
    },
    {
      name: 'an unknown member',
      value: request({ containerDefinitions: [container({ portBindings: [] })] }),
      path: 'containerDefinitions[0].portBindings',
      message: 'unknown field (ECS does not accept it)',
    },
    {
      name: 'a value outside an enum',
      value: request({ networkMode: 'default' }),
      path: 'networkMode',
      message: '"default" is not one of bridge, host, awsvpc, none',
    },
    {
      name: 'a string where a number belongs',
      value: request({ containerDefinitions: [container({ memory: '512' })] }),
      path: 'containerDefinitions[0].memory',
      message: 'expected a number, got a string',
    },
    {
      name: 'a fractional integer',
      value: request({ containerDefinitions: [container({ cpu: 0.5 })] }),
      path: 'containerDefinitions[0].cpu',
      message: 'expected a whole number, got 0.5',
    },
    {
      name: 'an integer beyond 32 bits',
      value: request({ containerDefinitions: [container({ memory: 2 ** 31 })] }),
      path: 'containerDefinitions[0].memory',
      message: 'must be at most 2147483647, got 2147483648',
    },
    {
      name: 'a number where a boolean belongs',
      value: request({ containerDefinitions: [container({ essential: 1 })] }),
      path: 'containerDefinitions[0].essential',
      message: 'expected true or false, got a number',
    },
    {
      name: 'an object where a list belongs',
      value: request({ volumes: {} }),
      path: 'volumes',
      message: 'expected a list, got an object',
    },
    {
      name: 'a list where a map belongs',
      value: request({ containerDefinitions: [container({ dockerLabels: [] })] }),
      path: 'containerDefinitions[0].dockerLabels',
      message: 'expected an object, got a list',
    },
    {
      name: 'a null member (outputs must be clean)',
      value: request({ cpu: null }),
      path: 'cpu',
      message: 'expected a string, got null',
    },
    {
      name: 'more than 50 tags (model max)',
      value: request({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }),
      path: 'tags',
      message: 'must have at most 50 items, has 51',
    },
    {
      name: 'an empty tag key (model min)',
      value: request({ tags: [{ key: '', value: 'v' }] }),
      path: 'tags[0].key',
      message: 'must have at least 1 characters, has 0',
    },
    {
      name: 'a 129-character tag key (model max)',
      value: request({ tags: [{ key: 'k'.repeat(129) }] }),
      path: 'tags[0].key',
      message: 'must have at most 128 characters, has 129',
    },
    {
      name: 'a 257-character tag value (model max)',
      value: request({ tags: [{ key: 'k', value: 'v'.repeat(257) }] }),
      path: 'tags[0].value',
      message: 'must have at most 256 characters, has 257',
    },
    {
      name: 'a non-string map key value',
      value: request({
        containerDefinitions: [
          container({ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 1 } } }),
        ],
      }),
      path: 'containerDefinitions[0].logConfiguration.options["awslogs-group"]',
      message: 'expected a string, got a number',
    },
    {
      name: 'a document that is not an object',
      value: [],
      path: '$',
      message: 'expected an object, got a list',
    },
  ];

  it.each(modelCases)('rejects $name naming the path', ({ value, path, message }) => {
    // Act
    const problems = validateAgainstModel(value);

    // Assess
    const found = problems.filter((p) => p.path === path);
    expect(found, JSON.stringify(problems)).toHaveLength(1);
    if (typeof message === 'string') expect(found[0]?.message).toBe(message);
    else expect(found[0]?.message).toMatch(message);
  });

  const limitCases: { name: string; value: unknown; path: string; message: RegExp }[] = [
    {
      name: 'a family with a dot',
      value: request({ family: 'web.prod' }),
      path: 'family',
      message: /1 to 255 letters, digits, underscores/,
    },
    {
      name: 'a 256-character family',
      value: request({ family: 'f'.repeat(256) }),
      path: 'family',
      message: /1 to 255/,
    },
    {
      name: 'a container name with a space',
      value: request({ containerDefinitions: [container({ name: 'my app' })] }),
      path: 'containerDefinitions[0].name',
      message: /container names are 1 to 255/,
    },
    {
      name: 'a container without a name',
      value: request({ containerDefinitions: [{ image: 'nginx' }] }),
      path: 'containerDefinitions[0].name',
      message: /required/,
    },
    {
      name: 'a container without an image',
      value: request({ containerDefinitions: [{ name: 'app' }] }),
      path: 'containerDefinitions[0].image',
      message: /required/,
    },
    {
      name: 'no containers',
      value: request({ containerDefinitions: [] }),
      path: 'containerDefinitions',
      message: /at least one container/,
    },
    {
      name: 'eleven containers',
      value: request({
        containerDefinitions: Array.from({ length: 11 }, (_, i) => container({ name: `c${i}` })),
      }),
      path: 'containerDefinitions',
      message: /at most 10 containers per task definition \(ECS limit\); this one has 11/,
    },
    {
      name: 'a request over 64 KiB',
      value: request({ containerDefinitions: [container({ command: ['x'.repeat(70_000)] })] }),
      path: '$',
      message: /at most 65536 \(64 KiB\)/,
    },
    {
      name: 'an aws: tag',
      value: request({ tags: [{ key: 'AWS:owner', value: 'x' }] }),
      path: 'tags[0].key',
      message: /aws: prefix is reserved/,
    },
    {
      name: 'a tag key with a forbidden character',
      value: request({ tags: [{ key: 'team#1', value: 'x' }] }),
      path: 'tags[0].key',
      message: /letters, digits, spaces/,
    },
    {
      name: 'a tag value with a forbidden character',
      value: request({ tags: [{ key: 'team', value: 'a*b' }] }),
      path: 'tags[0].value',
      message: /letters, digits, spaces/,
    },
    {
      name: 'a duplicate tag key',
      value: request({ tags: [{ key: 'a' }, { key: 'a' }] }),
      path: 'tags[1].key',
      message: /duplicate tag key "a"/,
    },
    {
      name: 'a duplicate container name',
      value: request({ containerDefinitions: [container(), container()] }),
      path: 'containerDefinitions[1].name',
      message: /duplicate container name "app"/,
    },
    {
      name: 'a duplicate volume name',
      value: request({ volumes: [{ name: 'v' }, { name: 'v' }] }),
      path: 'volumes[1].name',
      message: /duplicate volume name "v"/,
    },
    {
      name: 'a dependency on a missing container',
      value: request({
        containerDefinitions: [container({ dependsOn: [{ containerName: 'db', condition: 'START' }] })],
      }),
      path: 'containerDefinitions[0].dependsOn[0].containerName',
      message: /no container named "db"/,
    },
    {
      name: 'a dependency on itself',
      value: request({
        containerDefinitions: [container({ dependsOn: [{ containerName: 'app', condition: 'START' }] })],
      }),
      path: 'containerDefinitions[0].dependsOn[0].containerName',
      message: /cannot depend on itself/,
    },
    {
      name: 'a mount of a missing volume',
      value: request({
        containerDefinitions: [container({ mountPoints: [{ sourceVolume: 'data', containerPath: '/d' }] })],
      }),
      path: 'containerDefinitions[0].mountPoints[0].sourceVolume',
      message: /no volume named "data"/,
    },
    {
      name: 'volumesFrom a missing container',
      value: request({ containerDefinitions: [container({ volumesFrom: [{ sourceContainer: 'x' }] })] }),
      path: 'containerDefinitions[0].volumesFrom[0].sourceContainer',
      message: /no container named "x"/,
    },
    {
      name: 'no essential container',
      value: request({ containerDefinitions: [container({ essential: false })] }),
      path: 'containerDefinitions',
      message: /at least one container must be essential/,
    },
    {
      name: 'a health-check interval below 5 seconds',
      value: request({
        containerDefinitions: [container({ healthCheck: { command: ['CMD', 'true'], interval: 1 } })],
      }),
      path: 'containerDefinitions[0].healthCheck.interval',
      message: /between 5 and 300, got 1/,
    },
    {
      name: 'an empty health-check command',
      value: request({ containerDefinitions: [container({ healthCheck: { command: [] } })] }),
      path: 'containerDefinitions[0].healthCheck.command',
      message: /must not be empty/,
    },
    {
      name: 'memoryReservation above memory',
      value: request({ containerDefinitions: [container({ memory: 256, memoryReservation: 512 })] }),
      path: 'containerDefinitions[0].memoryReservation',
      message: /must not exceed memory \(256 MiB\)/,
    },
    {
      name: 'a port above 65535',
      value: request({ containerDefinitions: [container({ portMappings: [{ containerPort: 70000 }] })] }),
      path: 'containerDefinitions[0].portMappings[0].containerPort',
      message: /between 0 and 65535/,
    },
    {
      name: 'a hostPort different from containerPort in awsvpc mode',
      value: fargate({
        containerDefinitions: [container({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })],
      }),
      path: 'containerDefinitions[0].portMappings[0].hostPort',
      message: /hostPort must be left out or equal containerPort \(80\), got 8080/,
    },
    {
      name: 'links in awsvpc mode',
      value: fargate({ containerDefinitions: [container({ links: ['db'] }), container({ name: 'db' })] }),
      path: 'containerDefinitions[0].links',
      message: /links are not supported with networkMode "awsvpc"/,
    },
    {
      name: 'an App Mesh proxy naming a missing container',
      value: request({ proxyConfiguration: { type: 'APPMESH', containerName: 'envoy' } }),
      path: 'proxyConfiguration.containerName',
      message: /no container named "envoy"/,
    },
    {
      name: 'Fargate with bridge networking',
      value: fargate({ networkMode: 'bridge' }),
      path: 'networkMode',
      message: /Fargate requires networkMode "awsvpc", got "bridge"/,
    },
    {
      name: 'Fargate without task cpu',
      value: fargate({ cpu: undefined }),
      path: 'cpu',
      message: /required for Fargate/,
    },
    {
      name: 'Fargate with awslogs and no execution role',
      value: fargate({ containerDefinitions: [container({ logConfiguration: { logDriver: 'awslogs' } })] }),
      path: 'executionRoleArn',
      message: /required for Fargate when a container logs with awslogs/,
    },
    {
      name: 'a Fargate stop timeout over 120 seconds',
      value: fargate({ containerDefinitions: [container({ stopTimeout: 300 })] }),
      path: 'containerDefinitions[0].stopTimeout',
      message: /at most 120 seconds/,
    },
    {
      name: 'Fargate ephemeral storage below 21 GiB',
      value: fargate({ ephemeralStorage: { sizeInGiB: 20 } }),
      path: 'ephemeralStorage.sizeInGiB',
      message: /between 21 and 200/,
    },
  ];

  it.each(limitCases)('rejects $name (ECS limit) naming the path', ({ value, path, message }) => {
    // Act
    const problems = validateAgainstModel(value);

    // Assess
    const found = problems.filter((p) => p.path === path);
    expect(found, JSON.stringify(problems)).toHaveLength(1);
    expect(found[0]?.message).toMatch(message);
  });

  it('reports absurdly deep values by type instead of overflowing the stack', () => {
    // Prepare
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];

    // Act
    const problems = validateAgainstModel(
      request({ containerDefinitions: [container({ dockerLabels: { a: deep } })] }),
    );

    // Assess
    expect(problems).toEqual([
      { path: 'containerDefinitions[0].dockerLabels.a', message: 'expected a string, got a list' },
    ]);
  });

  it('applies the ECS limits only to the request shape', () => {
    expect(validateAgainstModel({ family: 'a.b', containerDefinitions: [] }, 'TaskDefinition')).toEqual([]);
  });

  it('throws UnknownShapeError for a shape outside the compact model', () => {
    expect(() => validateAgainstModel({}, 'CreateServiceRequest')).toThrow(UnknownShapeError);
  });
});
