import { describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { decideEmbed } from '../../src/embed/decide.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import type { RegisterTaskDefinitionRequest } from '../../src/taskdef/types.js';
import { appContainer, fargateTask } from './fixtures.js';

const config = resolveEmbedConfig({});
const ec2Config = resolveEmbedConfig({ includeEc2: true });
const protectedTask = (() => {
  const output = embedTaskDefinition(fargateTask(), config).output;
  if (!output) throw new Error('the fixture protects');
  return output;
})();
const olderTask: RegisterTaskDefinitionRequest = JSON.parse(
  JSON.stringify(protectedTask).replaceAll('\\"version\\":\\"1\\"', '\\"version\\":\\"0\\"'),
);
const newerTask: RegisterTaskDefinitionRequest = JSON.parse(
  JSON.stringify(protectedTask).replaceAll('\\"version\\":\\"1\\"', '\\"version\\":\\"7\\"'),
);

describe('Function: decideEmbed', () => {
  it.each([
    ['a Fargate task', fargateTask(), config, 'embed', undefined],
    [
      'a task compatible with EC2 and Fargate',
      fargateTask({ requiresCompatibilities: ['EC2', 'FARGATE'] }),
      config,
      'embed',
      undefined,
    ],
    ['an EC2-only task', fargateTask({ requiresCompatibilities: ['EC2'] }), config, 'skip', /includeEc2/],
    [
      'an EC2-only task with includeEc2',
      fargateTask({ requiresCompatibilities: ['EC2'] }),
      ec2Config,
      'embed',
      undefined,
    ],
    [
      'a task without requiresCompatibilities',
      fargateTask({ requiresCompatibilities: undefined }),
      config,
      'skip',
      /treats as EC2/,
    ],
    [
      'a task without requiresCompatibilities, includeEc2',
      fargateTask({ requiresCompatibilities: undefined }),
      ec2Config,
      'embed',
      undefined,
    ],
    [
      'an EXTERNAL task',
      fargateTask({ requiresCompatibilities: ['EXTERNAL'] }),
      ec2Config,
      'skip',
      /EXTERNAL/,
    ],
    [
      'a MANAGED_INSTANCES task',
      fargateTask({ requiresCompatibilities: ['MANAGED_INSTANCES'] }),
      ec2Config,
      'skip',
      /MANAGED_INSTANCES/,
    ],
    [
      'a Windows task',
      fargateTask({ runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2019_CORE' } }),
      config,
      'skip',
      /Windows/,
    ],
    [
      'an explicitly Linux task',
      fargateTask({ runtimePlatform: { operatingSystemFamily: 'LINUX' } }),
      config,
      'embed',
      undefined,
    ],
    [
      'an opted-out task',
      fargateTask({ tags: [{ key: 'ecs-admission:skip', value: 'true' }] }),
      config,
      'skip',
      /opt-out/,
    ],
    [
      'a task whose skip tag has another value',
      fargateTask({ tags: [{ key: 'ecs-admission:skip', value: 'no' }] }),
      config,
      'embed',
      undefined,
    ],
    [
      'a task protected by this version',
      protectedTask,
      config,
      'already-protected',
      /already protected by embed version 1/,
    ],
    ['a task protected by a newer version', newerTask, config, 'already-protected', /newer/],
    ['a task protected by an older version', olderTask, config, 'embed', undefined],
  ] as const)('decides %s', (_what, request, cfg, kind, reason) => {
    // Act
    const plan = decideEmbed(request, {}, cfg);
    // Assess
    expect(plan.kind).toBe(kind);
    if (reason) expect('reason' in plan ? plan.reason : '').toMatch(reason);
  });

  it('strips a task protected by an older version, keeping the recorded source', () => {
    // Act
    const plan = decideEmbed(olderTask, { family: 'web', revision: 9 }, config);
    // Assess
    expect(plan).toMatchObject({ kind: 'embed', upgradedFrom: '0', source: 'unregistered' });
    expect(plan.kind === 'embed' && plan.original).toEqual(fargateTask());
  });

  it('records family:revision as the source of a registered task', () => {
    // Act
    const plan = decideEmbed(fargateTask(), { family: 'web', revision: 3 }, config);
    // Assess
    expect(plan).toMatchObject({ kind: 'embed', source: 'web:3', fargate: true });
  });

  it('honours a configured opt-out tag', () => {
    // Prepare
    const custom = resolveEmbedConfig({ skipTag: { key: 'security', value: 'none' } });
    // Act
    const plan = decideEmbed(fargateTask({ tags: [{ key: 'security', value: 'none' }] }), {}, custom);
    // Assess
    expect(plan).toEqual({ kind: 'skip', reason: 'it carries the opt-out tag security=none' });
  });

  it('rejects a protected task whose marker label was hand-edited', () => {
    // Prepare
    const broken = structuredClone(protectedTask);
    const sidecar = broken.containerDefinitions.at(-1);
    if (sidecar?.dockerLabels) sidecar.dockerLabels['ecs-admission.defender'] = '{not json';
    // Act
    const plan = decideEmbed(broken, {}, config);
    // Assess
    expect(plan.kind).toBe('reject');
  });
});

describe('Function: embedTaskDefinition (outcomes)', () => {
  it.each([
    ['protects a Fargate task', fargateTask(), 'protected', undefined],
    ['skips an EC2 task', fargateTask({ requiresCompatibilities: ['EC2'] }), 'skipped', undefined],
    ['leaves a protected task as it is', protectedTask, 'already-protected', undefined],
    ['rejects a task that is not one', { family: 'x' }, 'rejected', 'invalid-input'],
    [
      'rejects a container the model refuses',
      fargateTask({}, [appContainer({ healthCheck: { command: ['CMD', 'true'], interval: 1 } })]),
      'rejected',
      'invalid-input',
    ],
    [
      'rejects a container it cannot wrap',
      fargateTask({}, [appContainer({ entryPoint: undefined })]),
      'rejected',
      'cannot-protect',
    ],
    [
      'skips a task with only a FireLens log router',
      fargateTask({}, [appContainer({ firelensConfiguration: { type: 'fluentbit' } })]),
      'skipped',
      undefined,
    ],
  ] as const)('%s', (_what, input, outcome, rejection) => {
    // Act
    const result = embedTaskDefinition(input, config);
    // Assess
    expect(result.decision.outcome).toBe(outcome);
    expect(result.rejection).toBe(rejection);
    expect(result.output === undefined).toBe(outcome === 'rejected');
    if (outcome === 'rejected') expect(result.decision.errors?.length).toBeGreaterThan(0);
  });

  it('takes the decision source from a described task definition', () => {
    // Act
    const result = embedTaskDefinition(
      {
        taskDefinition: {
          ...fargateTask(),
          revision: 4,
          taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:4',
        },
      },
      config,
    );
    // Assess
    expect(result.decision.source).toEqual({
      family: 'web',
      revision: 4,
      arn: 'arn:aws:ecs:eu-west-1:1:task-definition/web:4',
    });
    expect(result.output?.tags).toContainEqual({ key: 'ecs-admission:source', value: 'web:4' });
  });

  it('records the digest each command line was read from', () => {
    // Prepare
    const images = new Map([
      ['redis:7', { entrypoint: ['docker-entrypoint.sh'], cmd: ['redis-server'], digest: 'sha256:abc' }],
    ]);
    // Act
    const result = embedTaskDefinition(
      fargateTask({}, [{ name: 'cache', image: 'redis:7' }]),
      config,
      images,
    );
    // Assess
    expect(result.decision.imageDigests).toEqual({ cache: 'sha256:abc' });
    expect(result.output?.containerDefinitions[0]?.entryPoint).toEqual([
      '/ecs-admission/bin/launcher',
      '--',
      'docker-entrypoint.sh',
      'redis-server',
    ]);
  });

  it('never puts the defender token in changes or errors', () => {
    // Prepare
    const secret = resolveEmbedConfig({ token: 'tok-SECRET-123' });
    // Act
    const ok = embedTaskDefinition(fargateTask(), secret);
    const bad = embedTaskDefinition(
      fargateTask({}, [appContainer({ name: 'ecs-admission-defender' })]),
      secret,
    );
    // Assess
    expect(JSON.stringify(ok.decision)).not.toContain('tok-SECRET-123');
    expect(JSON.stringify(bad.decision)).not.toContain('tok-SECRET-123');
    expect(ok.output?.containerDefinitions.at(-1)?.environment).toContainEqual({
      name: 'ECS_ADMISSION_TOKEN',
      value: 'tok-SECRET-123',
    });
  });
});
