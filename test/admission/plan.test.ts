import { describe, expect, it } from 'vitest';
import {
  exclusionReason,
  planDeregister,
  planServiceMove,
  planTaskStop,
  type ServiceMoveInput,
} from '../../src/admission/plan.js';

const SRC = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:1';
const TWIN = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2';
const none = { families: [], clusters: [], services: [] };
const base: ServiceMoveInput = {
  service: {
    cluster: 'prod',
    serviceName: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:111122223333:service/prod/web',
    taskDefinition: SRC,
    deploymentController: 'ECS',
  },
  sourceArn: SRC,
  protectedArn: TWIN,
  mode: 'enforce',
  exclusions: none,
  rolledBack: false,
};
const withService = (s: Partial<ServiceMoveInput['service']>, rest: Partial<ServiceMoveInput> = {}) => ({
  ...base,
  ...rest,
  service: { ...base.service, ...s },
});

describe('Function: planServiceMove', () => {
  const rows: {
    name: string;
    input: ServiceMoveInput;
    kind: string;
    result: string;
    update: boolean;
    detail?: RegExp;
  }[] = [
    {
      name: 'enforce moves an ECS service',
      input: base,
      kind: 'update-service',
      result: 'done',
      update: true,
    },
    {
      name: 'audit only plans the move',
      input: { ...base, mode: 'audit' },
      kind: 'update-service',
      result: 'planned',
      update: false,
    },
    {
      name: 'CODE_DEPLOY needs action with the twin ARN',
      input: withService({ deploymentController: 'CODE_DEPLOY' }),
      kind: 'needs-action',
      result: 'done',
      update: false,
      detail: /CodeDeploy deployment with arn:.*web:2/,
    },
    {
      name: 'EXTERNAL needs action with the twin ARN',
      input: withService({ deploymentController: 'EXTERNAL' }),
      kind: 'needs-action',
      result: 'done',
      update: false,
      detail: /task set/,
    },
    {
      name: 'a rolled-back service is reported, not moved again',
      input: { ...base, rolledBack: true },
      kind: 'needs-action',
      result: 'done',
      update: false,
      detail: /circuit breaker/,
    },
    {
      name: 'an excluded cluster is skipped',
      input: { ...base, exclusions: { ...none, clusters: ['pr*'] } },
      kind: 'update-service',
      result: 'skipped',
      update: false,
      detail: /cluster "prod" is excluded by the pattern "pr\*"/,
    },
    {
      name: 'an excluded service is skipped',
      input: { ...base, exclusions: { ...none, services: ['web'] } },
      kind: 'update-service',
      result: 'skipped',
      update: false,
    },
    {
      name: 'a service that moved on meanwhile is skipped',
      input: withService({ taskDefinition: TWIN }),
      kind: 'update-service',
      result: 'skipped',
      update: false,
      detail: /now runs/,
    },
  ];

  it.each(rows)('$name', ({ input, kind, result, update, detail }) => {
    // Act
    const plan = planServiceMove(input);

    // Assess
    expect(plan.action.kind).toBe(kind);
    expect(plan.action.result).toBe(result);
    expect(plan.update).toBe(update);
    if (detail) expect(plan.action.detail).toMatch(detail);
  });
});

describe('Function: planTaskStop', () => {
  const task = {
    taskArn: 'arn:task',
    startedBy: undefined,
    group: undefined,
    sourceArn: SRC,
    protectedArn: TWIN,
  };
  const rows = [
    {
      name: 'enforce stops a standalone task',
      input: { ...task, mode: 'enforce' as const },
      stop: true,
      result: 'done',
    },
    { name: 'audit reports it', input: { ...task, mode: 'audit' as const }, stop: false, result: 'planned' },
    {
      name: 'a task a service started is left to the service move',
      input: { ...task, startedBy: 'ecs-svc/123', mode: 'enforce' as const },
      stop: false,
      result: 'skipped',
    },
    {
      name: 'a service group also marks a service task',
      input: { ...task, group: 'service:web', mode: 'enforce' as const },
      stop: false,
      result: 'skipped',
    },
  ];

  it.each(rows)('$name', ({ input, stop, result }) => {
    // Act
    const plan = planTaskStop(input);

    // Assess
    expect(plan.stop).toBe(stop);
    expect(plan.action.result).toBe(result);
    expect(plan.reason).toBe('ecs-admission: web:1 is not protected; run web:2 instead');
  });
});

describe('Function: planDeregister', () => {
  const rows = [
    {
      name: 'off by default: nothing',
      input: { enabled: false, mode: 'enforce' as const, servicesStillOnSource: 0 },
      result: undefined,
    },
    {
      name: 'no service left: deregister',
      input: { enabled: true, mode: 'enforce' as const, servicesStillOnSource: 0 },
      result: 'done',
    },
    {
      name: 'audit: planned',
      input: { enabled: true, mode: 'audit' as const, servicesStillOnSource: 0 },
      result: 'planned',
    },
    {
      name: 'services still on it: kept',
      input: { enabled: true, mode: 'enforce' as const, servicesStillOnSource: 2 },
      result: 'skipped',
    },
  ];

  it.each(rows)('$name', ({ input, result }) => {
    // Act
    const action = planDeregister({ ...input, sourceArn: SRC });

    // Assess
    expect(action?.result).toBe(result);
  });
});

describe('Function: exclusionReason', () => {
  const rows = [
    {
      name: 'family wildcard',
      target: { family: 'legacy-web' },
      reason: /family "legacy-web" is excluded by the pattern "legacy-\*"/,
    },
    { name: 'no match', target: { family: 'web', cluster: 'prod', service: 'web' }, reason: undefined },
    { name: 'literal dots are not wildcards', target: { cluster: 'aXb' }, reason: undefined },
    { name: 'cluster exact', target: { cluster: 'a.b' }, reason: /cluster "a.b"/ },
  ];
  const exclusions = { families: ['legacy-*'], clusters: ['a.b'], services: [] };

  it.each(rows)('$name', ({ target, reason }) => {
    // Act
    const out = exclusionReason(target, exclusions);

    // Assess
    if (reason) expect(out).toMatch(reason);
    else expect(out).toBeUndefined();
  });
});
