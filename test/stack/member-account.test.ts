// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JavaScript templates
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CfnTemplate, CfnTemplateSchema, resource } from './cfn-template.js';
import { parseCloudFormationYaml } from './cfn-yaml.js';
import { type EventPattern, matchesEventPattern } from './event-pattern.js';
import { collectStatements, privilegeProblems, roleActions } from './least-privilege.js';
import { REPO_ROOT } from './package-stack.js';
import { recordedEvents } from './recorded-events.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const template: CfnTemplate = CfnTemplateSchema.parse(
  parseCloudFormationYaml(read('infra/member-account.yml')),
);

/** The admission rule's pattern as serverless.yml declares it (YAML anchors resolved). */
let cachedPattern: EventPattern | undefined;
function centralPattern(): EventPattern {
  if (cachedPattern) return cachedPattern;
  const config = parseCloudFormationYaml(read('serverless.yml')) as {
    functions: { admission: { events: { eventBridge?: { pattern?: EventPattern } }[] } };
  };
  const [first] = config.functions.admission.events;
  if (!first?.eventBridge?.pattern) throw new Error('serverless.yml: admission has no eventBridge pattern');
  cachedPattern = first.eventBridge.pattern;
  return cachedPattern;
}

describe('Function: member-account template', () => {
  it('takes the central stack’s coordinates and an external ID that it never echoes', () => {
    // Assess
    expect(Object.keys(template.Parameters).sort()).toEqual([
      'CentralEventBusArn',
      'ControllerAccountId',
      'ControllerRoleArns',
      'ExternalId',
      'ForwarderRoleName',
      'MemberRoleName',
      'PassRolePattern',
      'PrimaryRegion',
    ]);
    expect(template.Parameters.ExternalId).toMatchObject({ NoEcho: true, MinLength: 16 });
    expect(template.Parameters.ControllerAccountId?.AllowedPattern).toBe('^\\d{12}$');
    expect(template.Parameters.MemberRoleName?.Default).toBe('ecs-admission-member');
  });

  it('validates the central bus ARN', () => {
    // Prepare
    const pattern = new RegExp(String(template.Parameters.CentralEventBusArn?.AllowedPattern));

    // Assess
    expect(pattern.test('arn:aws:events:eu-west-1:111122223333:event-bus/ecs-admission-prod')).toBe(true);
    expect(pattern.test('arn:aws:events:eu-west-1:111122223333:rule/ecs-admission-prod')).toBe(false);
    expect(pattern.test('ecs-admission-prod')).toBe(false);
  });

  it('outputs the roles and the rule', () => {
    // Assess
    expect(Object.keys(template.Outputs).sort()).toEqual([
      'ForwardRuleArn',
      'ForwarderRoleArn',
      'MemberRoleArn',
    ]);
  });

  it('forwards exactly what the central admission rule handles, to the central bus', () => {
    // Act
    const rule = resource(template, 'ForwardEcsCallsRule');
    const [target] = rule.Properties.Targets as Record<string, unknown>[];

    // Assess
    expect(rule.Properties.EventPattern).toEqual(centralPattern());
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(target?.Arn).toEqual({ Ref: 'CentralEventBusArn' });
    expect(target?.RoleArn).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ForwarderRoleName}',
    });
  });

  it('forwards failed deployments with the central deployment-failure pattern', () => {
    // Prepare
    const config = parseCloudFormationYaml(read('serverless.yml')) as {
      functions: { admission: { events: { eventBridge?: { name?: string; pattern?: EventPattern } }[] } };
    };
    const central = config.functions.admission.events.find((e) =>
      e.eventBridge?.name?.endsWith('-deployment-failures'),
    );

    // Act
    const rule = resource(template, 'ForwardDeploymentFailuresRule');
    const [target] = rule.Properties.Targets as Record<string, unknown>[];

    // Assess
    expect(central?.eventBridge?.pattern).toBeDefined();
    expect(rule.Properties.EventPattern).toEqual(central?.eventBridge?.pattern);
    expect(target?.Arn).toEqual({ Ref: 'CentralEventBusArn' });
  });

  it('forwards successful handled calls and drops failed ones', () => {
    // Prepare
    const pattern = resource(template, 'ForwardEcsCallsRule').Properties.EventPattern as EventPattern;
    const handled = recordedEvents().filter(({ event }) => matchesEventPattern(centralPattern(), event));
    const failed = handled.map(({ event }) => ({
      ...event,
      detail: { ...(event.detail as object), errorCode: 'AccessDenied' },
    }));

    // Assess
    expect(handled.length).toBeGreaterThan(0);
    for (const { event } of handled) expect(matchesEventPattern(pattern, event)).toBe(true);
    for (const event of failed) expect(matchesEventPattern(pattern, event)).toBe(false);
  });

  it('creates the account-wide roles once, in the primary region', () => {
    // Assess
    expect(template.Conditions.IsPrimaryRegion).toEqual({
      'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'PrimaryRegion' }],
    });
    expect(resource(template, 'MemberRole').Condition).toBe('IsPrimaryRegion');
    expect(resource(template, 'ForwarderRole').Condition).toBe('IsPrimaryRegion');
    expect(resource(template, 'ForwardEcsCallsRule').Condition).toBeUndefined();
  });

  it('lets only the controller’s roles assume the member role, with the external ID', () => {
    // Act
    const trust = collectStatements(template).filter(({ owner }) => owner === 'MemberRole/trust');

    // Assess
    expect(trust).toHaveLength(1);
    expect(trust[0]?.statement).toEqual({
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${ControllerAccountId}:root' } },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } },
        ArnEquals: { 'aws:PrincipalArn': { Ref: 'ControllerRoleArns' } },
      },
    });
  });

  it('lets only EventBridge of this account use the forwarder role, for the central bus only', () => {
    // Act
    const statements = collectStatements(template).filter(({ owner }) => owner.startsWith('ForwarderRole/'));

    // Assess
    expect(statements.map(({ statement }) => statement)).toEqual([
      {
        Sid: 'CentralBusOnly',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { Ref: 'CentralEventBusArn' },
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('grants no wildcard action, and * resources only where the API has no resource type', () => {
    // Assess
    expect(privilegeProblems(template)).toEqual([]);
  });

  it('holds the same ECS, ECR and PassRole permissions as the central admission role, nothing more', () => {
    // Prepare
    const central = CfnTemplateSchema.parse(parseCloudFormationYaml(read('infra/iam.yml')));
    const actsInAccount = (action: string) => /^(ecs|ecr|iam):/.test(action);

    // Act
    const actions = roleActions(template, 'MemberRole');

    // Assess
    expect(actions).toContain('ecs:RegisterTaskDefinition');
    expect(actions).toEqual(roleActions(central, 'AdmissionRole').filter(actsInAccount));
  });
});
