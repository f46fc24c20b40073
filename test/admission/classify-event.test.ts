import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../src/admission/classify-event.js';

const event = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
const corpus = (name: string) =>
  JSON.parse(readFileSync(new URL(`../corpus/events/${name}`, import.meta.url), 'utf8'));
const OWN = ['arn:aws:iam::111122223333:role/ecs-admission'];

describe('Function: classifyEvent', () => {
  const rows: { name: string; input: unknown; kind: string; expect?: Record<string, unknown> }[] = [
    {
      name: 'RegisterTaskDefinition names the new revision by its ARN',
      input: event('register-task-definition.json'),
      kind: 'register',
      expect: { taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2', family: 'web' },
    },
    {
      name: 'CreateService with a bare family takes the resolved ARN from the response',
      input: event('create-service.json'),
      kind: 'service',
      expect: {
        cluster: 'staging',
        service: 'worker',
        taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/worker:1',
      },
    },
    {
      name: 'UpdateService names cluster and service',
      input: event('update-service.json'),
      kind: 'service',
      expect: { cluster: 'prod', service: 'web' },
    },
    {
      name: 'UpdateService of a CODE_DEPLOY service carries its controller',
      input: event('update-service-code-deploy.json'),
      kind: 'service',
      expect: { deploymentController: 'CODE_DEPLOY' },
    },
    {
      name: 'RunTask lists the started tasks',
      input: event('run-task.json'),
      kind: 'task',
      expect: { cluster: 'prod' },
    },
    { name: 'StartTask lists the started tasks', input: event('start-task.json'), kind: 'task' },
    { name: 'a failed call is ignored', input: event('ignored-failed-register.json'), kind: 'ignored' },
    { name: 'CreateCluster is ignored', input: event('ignored-create-cluster.json'), kind: 'ignored' },
    {
      name: 'a task state change is ignored',
      input: event('ignored-task-state-change.json'),
      kind: 'ignored',
    },
    { name: 'a service action is ignored', input: event('ignored-service-action.json'), kind: 'ignored' },
    {
      name: 'a failed deployment names the service',
      input: event('deployment-failed.json'),
      kind: 'deployment-failed',
      expect: { cluster: 'prod', service: 'web' },
    },
    {
      name: "the controller's own registration (role) is an own call",
      input: event('own-register-task-definition.json'),
      kind: 'own-call',
    },
    {
      name: "the controller's own UpdateService is an own call",
      input: event('own-update-service.json'),
      kind: 'own-call',
    },
    {
      name: 'a registration carrying the marker is an own call even from another role',
      input: (() => {
        const e = event('own-register-task-definition.json');
        e.detail.userIdentity.arn = 'arn:aws:sts::111122223333:assumed-role/DeployRole/ci';
        e.detail.userIdentity.sessionContext.sessionIssuer.arn = 'arn:aws:iam::111122223333:role/DeployRole';
        return e;
      })(),
      kind: 'own-call',
    },
    {
      name: 'a marker tag without the defender sidecar is not trusted',
      input: (() => {
        const e = event('register-task-definition.json');
        e.detail.requestParameters.tags = [{ key: 'ecs-admission:source', value: 'web:1' }];
        return e;
      })(),
      kind: 'register',
    },
    {
      name: 'a bare CloudTrail record (as in trails) is read like its envelope',
      input: corpus(
        'datadog-securitylabs__tales-from-the-cloud-trenches-ecs-crypto-mining__RegisterTaskDefinition.json',
      ),
      kind: 'register',
      expect: { taskDefinition: '[random string]' },
    },
    {
      name: 'the trimmed incident CreateService falls back to the request',
      input: corpus(
        'datadog-securitylabs__tales-from-the-cloud-trenches-ecs-crypto-mining__CreateService.json',
      ),
      kind: 'service',
      expect: { taskDefinition: '[random string]', service: '[random string]-service' },
    },
    {
      name: 'a RegisterContainerInstance payload mislabelled RegisterTaskDefinition names nothing',
      input: corpus(
        'SumoLogic__sumologic-documentation__docs_integrations_amazon-aws_elastic-container-service.md__sample.json',
      ),
      kind: 'ignored',
    },
    {
      name: 'a non-ECS source is ignored',
      input: { 'detail-type': 'x', source: 'aws.ec2', detail: {} },
      kind: 'ignored',
    },
    { name: 'garbage is ignored', input: 'hello', kind: 'ignored' },
    {
      name: 'RunTask with no task started is ignored',
      input: (() => {
        const e = event('run-task.json');
        e.detail.responseElements.tasks = [];
        return e;
      })(),
      kind: 'ignored',
    },
  ];

  it.each(rows)('$name', ({ input, kind, expect: fields }) => {
    // Act
    const out = classifyEvent(input, { ownRoleArns: OWN });

    // Assess
    expect(out.kind).toBe(kind);
    if (fields) expect(out).toMatchObject(fields);
  });

  it("recognises the member-account role's sessions in any account as the controller's own calls", () => {
    // Prepare
    const e = event('update-service.json');
    e.account = '444455556666';
    e.detail.userIdentity = {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::444455556666:assumed-role/ecs-admission-member/ecs-admission',
    };

    // Act
    const member = classifyEvent(e, { ownRoleArns: OWN, ownRoleNames: ['ecs-admission-member'] });
    const without = classifyEvent(e, { ownRoleArns: OWN });

    // Assess
    expect(member.kind).toBe('own-call');
    expect(without.kind).toBe('service');
  });

  it('recognises the own role from an assumed-role session ARN when no session issuer is recorded', () => {
    // Prepare
    const e = event('own-update-service.json');
    delete e.detail.userIdentity.sessionContext;

    // Act
    const out = classifyEvent(e, { ownRoleArns: OWN });

    // Assess
    expect(out.kind).toBe('own-call');
  });
});
