// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JavaScript templates
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionEnvSchema, loadAdmissionSettings } from '../../src/admission/settings.js';
import { indexTableDefinition, stateTableDefinition } from '../../src/aws/admission-tables.js';
import { createTableAndWait } from '../../src/aws/create-table.js';
import { mintDefenderToken } from '../../src/policy/defender-token.js';
import { loadPolicySettings, PolicyEnvSchema } from '../../src/policy/settings.js';
import { type DynamoServer, startDynamoServer } from '../support/dynamo-server.js';
import { type CfnResource, type CfnTemplate, refersTo, resource, resourcesOfType } from './cfn-template.js';
import { deployedEnvironment } from './deployed-environment.js';
import { type EventPattern, matchesEventPattern } from './event-pattern.js';
import { type FakeAwsJson, startFakeAwsJson } from './fake-aws-json.js';
import { importInFreshProcess, invokeInFreshProcess, removeUnpacked, unpackZip } from './import-bundle.js';
import { collectStatements, privilegeProblems, roleActions } from './least-privilege.js';
import {
  FUNCTION_NAMES,
  type PackagedStack,
  packageStack,
  REPO_ROOT,
  removePackagedStack,
} from './package-stack.js';
import { readZip } from './read-zip.js';
import { recordedEvents } from './recorded-events.js';

/** The ECS calls the admission controller handles (issue: "What it reacts to"). */
const HANDLED_CALLS = ['RegisterTaskDefinition', 'CreateService', 'UpdateService', 'RunTask', 'StartTask'];

const LOGICAL = { admission: 'Admission', reconcile: 'Reconcile', policy: 'Policy' } as const;

/** Private-registry credentials the image look-up may read (the registryCredentialSecretPattern parameter). */
const REGISTRY_SECRETS = 'registry/*';

let stack: PackagedStack;
let template: CfnTemplate;

beforeAll(async () => {
  // A member-account setup, so the conditional statements and the bus policy are in force.
  stack = await packageStack({
    params: {
      memberExternalId: 'ci-external-id-0123456789',
      organizationId: 'o-abc123def4',
      registryCredentialSecretPattern: REGISTRY_SECRETS,
    },
  });
  template = stack.template;
}, 240_000);

afterAll(() => {
  if (stack) removePackagedStack(stack);
});

const fnOf = (name: keyof typeof LOGICAL) => resource(template, `${LOGICAL[name]}LambdaFunction`);

/** The rules whose target is the function, with their target. */
function rulesTargeting(
  functionLogicalId: string,
): { id: string; rule: CfnResource; target: Record<string, unknown> }[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([id, rule]) =>
    ((rule.Properties.Targets as Record<string, unknown>[]) ?? [])
      .filter((target) => refersTo(target.Arn, functionLogicalId))
      .map((target) => ({ id, rule, target })),
  );
}

/** Admission's rules for one detail-type (CloudTrail calls, or deployment state changes). */
function admissionRules(detailType: string) {
  return rulesTargeting('AdmissionLambdaFunction').filter(({ rule }) =>
    JSON.stringify((rule.Properties.EventPattern as EventPattern | undefined)?.['detail-type']).includes(
      detailType,
    ),
  );
}

describe('Function: serverless package', () => {
  it('packages every function offline, without AWS credentials', () => {
    // Assess
    for (const name of FUNCTION_NAMES) expect(statSync(stack.zips[name]).size).toBeGreaterThan(0);
    expect(Object.keys(template.Resources).length).toBeGreaterThan(20);
  });

  it('deploys each function on nodejs22.x, arm64, with its own role', () => {
    // Assess
    const roles = new Set<string>();
    for (const name of FUNCTION_NAMES) {
      const props = fnOf(name).Properties;
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Handler).toBe(`functions/${name}.handler`);
      expect(props.LoggingConfig).toEqual({ LogFormat: 'JSON', SystemLogLevel: 'WARN' });
      expect(props.Role).toEqual({ 'Fn::GetAtt': [`${LOGICAL[name]}Role`, 'Arn'] });
      roles.add(JSON.stringify(props.Role));
    }
    expect(roles.size).toBe(FUNCTION_NAMES.length);
    expect(resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id)).not.toContain(
      'IamRoleLambdaExecution',
    );
  });
});

describe('Function: bundles', () => {
  it.each(FUNCTION_NAMES)('packs %s as one self-contained ESM bundle', (name) => {
    // Act
    const names = readZip(stack.zips[name]).map((entry) => entry.name);

    // Assess: the SDK is bundled (pinned by the lock file), nothing is left to resolve at run time.
    expect(names).toContain(`functions/${name}.mjs`);
    expect(names.filter((n) => n.includes('node_modules/'))).toEqual([]);
    // A source map would triple the zip and, with --enable-source-maps, slow every cold start.
    expect(names.filter((n) => n.endsWith('.map'))).toEqual([]);
    // Code split off for later loading (infra/esbuild-plugins.cjs): this function's chunks only.
    const others = names.filter(
      (n) => n !== `functions/${name}.mjs` && !n.startsWith(`functions/${name}.chunks/`),
    );
    expect(others).toEqual([]);
    expect(names.some((n) => n.startsWith(`functions/${name}.chunks/`))).toBe(true);
  });

  it.each(FUNCTION_NAMES)(
    'loads %s on this Node with its deployed environment and finds its handler',
    async (name) => {
      // Prepare
      const dir = unpackZip(stack.zips[name]);
      const env = deployedEnvironment(template, `${LOGICAL[name]}LambdaFunction`);

      try {
        // Act
        const loaded = await importInFreshProcess(join(dir, 'functions', `${name}.mjs`), env);

        // Assess
        expect(loaded.handler).toBe('function');
      } finally {
        removeUnpacked(dir);
      }
    },
  );
});

describe('Function: packaged policy bundle', () => {
  const FAMILY = 'sample';
  const KEY = 'k'.repeat(64);
  let dynamo: DynamoServer;
  let fake: FakeAwsJson;

  beforeAll(async () => {
    dynamo = await startDynamoServer();
    fake = await startFakeAwsJson({
      'secretsmanager.GetSecretValue': (body) => ({
        ARN: body.SecretId,
        Name: 'signing-key',
        SecretString: KEY,
      }),
      'AWSEvents.PutEvents': (body) => ({
        FailedEntryCount: 0,
        Entries: (body.Entries as unknown[]).map((_, i) => ({ EventId: `event-${i}` })),
      }),
    });
  });

  afterAll(async () => {
    await dynamo?.stop();
    await fake?.stop();
  });

  const httpEvent = (
    method: string,
    path: string,
    options: {
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string;
      iam?: boolean;
    } = {},
  ) => ({
    version: '2.0',
    routeKey: `ANY ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', ...(options.headers ?? {}) },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      http: { method, path },
      ...(options.iam
        ? {
            authorizer: {
              iam: { accountId: '111122223333', userArn: 'arn:aws:iam::111122223333:user/admin' },
            },
          }
        : {}),
    },
  });

  it('serves rules, policies and audits from the zip, with the deployed environment and table', async () => {
    // Prepare: the rules table exactly as the template declares it, on a DynamoDB-compatible server.
    const rulesTable = resource(template, 'RulesTable').Properties;
    await createTableAndWait(dynamo.client, {
      TableName: 'ecs-admission-ci-rules',
      KeySchema: rulesTable.KeySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions:
        rulesTable.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      BillingMode: 'PAY_PER_REQUEST',
    });
    const env = {
      ...deployedEnvironment(template, 'PolicyLambdaFunction'),
      ECS_ADMISSION_RULES_TABLE: 'ecs-admission-ci-rules',
      ECS_ADMISSION_POLICY_CHECK_SECONDS: '0',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: fake.endpoint,
    };
    const token = mintDefenderToken({ account: '111122223333', family: FAMILY }, KEY);
    const auth = { authorization: `Bearer ${token}` };
    const container = { container: 'twistlock-fargate-task', image: 'nginx:1.27' };
    const audit = {
      time: '2026-11-22T00:00:00Z',
      family: FAMILY,
      container: 'twistlock-fargate-task',
      kind: 'process',
      effect: 'prevent',
      rule: 'twistlock-sample',
      message:
        '/bin/mkdir launched from /bin/dash and is explicitly blocked in the runtime rule. Full command: mkdir test',
      details: { path: '/bin/mkdir', parent: '/bin/dash', command: 'mkdir test', pid: 42 },
    };
    const dir = unpackZip(stack.zips.policy);

    try {
      // Act
      const results = (await invokeInFreshProcess(join(dir, 'functions', 'policy.mjs'), env, [
        httpEvent('PUT', '/v1/rules', {
          iam: true,
          headers: { 'content-type': 'application/yaml' },
          body: readFileSync(join(REPO_ROOT, 'test', 'policy', 'fixtures', 'seeds-sample.yaml'), 'utf8'),
        }),
        httpEvent('GET', '/v1/policy', { query: container, headers: auth }),
        httpEvent('GET', '/v1/policy', {
          query: container,
          headers: { ...auth, 'if-none-match': '{{etag}}' },
        }),
        httpEvent('GET', '/v1/policy', { query: container }),
        httpEvent('POST', '/v1/audits', {
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify([audit]),
        }),
        httpEvent('GET', '/v1/rules'),
      ])) as { statusCode: number; body: string }[];

      // Assess
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 304, 401, 202, 401]);
      expect(JSON.parse(results[1]?.body ?? '{}')).toMatchObject({
        rule: 'twistlock-sample',
        processes: { effect: 'prevent' },
        dns: { effect: 'prevent', deny: ['yahoo.com'] },
      });
      expect(JSON.parse(results[4]?.body ?? '{}')).toMatchObject({ accepted: 1 });
      const put = fake.calls.filter((c) => c.target === 'AWSEvents.PutEvents');
      expect(put.flatMap((c) => c.body.Entries as Record<string, unknown>[])).toEqual([
        expect.objectContaining({
          EventBusName: 'ecs-admission-ci-EventBus',
          Source: 'ecs-admission',
          DetailType: 'ECS Runtime Audit',
        }),
      ]);
      expect(fake.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue')).toHaveLength(1);
    } finally {
      removeUnpacked(dir);
    }
  });
});

describe('Function: triggers', () => {
  it.each(['AWS API Call via CloudTrail', 'ECS Deployment State Change'])(
    'feeds admission %s events from the default bus and the product bus, with retries and a dead-letter queue',
    (detailType) => {
      // Act
      const rules = admissionRules(detailType);

      // Assess
      expect(rules).toHaveLength(2);
      const buses = rules.map(({ rule }) => JSON.stringify(rule.Properties.EventBusName ?? 'default')).sort();
      expect(buses).toEqual([JSON.stringify('default'), JSON.stringify({ Ref: 'EventBus' })].sort());
      expect(rules[0]?.rule.Properties.EventPattern).toEqual(rules[1]?.rule.Properties.EventPattern);
      for (const { rule, target } of rules) {
        expect(rule.Properties.State).toBe('ENABLED');
        expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
        expect(target.DeadLetterConfig).toEqual({
          Arn: { 'Fn::GetAtt': ['AdmissionDeadLetterQueue', 'Arn'] },
        });
      }
    },
  );

  it('lets EventBridge invoke admission from each of its four rules, and nothing else', () => {
    // Act
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, p]) =>
      refersTo(p.Properties.FunctionName, 'AdmissionLambdaFunction'),
    );

    // Assess
    expect(rulesTargeting('AdmissionLambdaFunction')).toHaveLength(4);
    expect(permissions.map(([, p]) => p.Properties.Principal)).toEqual(Array(4).fill('events.amazonaws.com'));
  });

  it('sends admission failures that survive Lambda retries to the dead-letter queue', () => {
    // Act
    const [config] = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) =>
      refersTo(c.Properties.FunctionName, 'AdmissionLambdaFunction'),
    );

    // Assess
    expect(config?.[1].Properties.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': ['AdmissionDeadLetterQueue', 'Arn'] } },
    });
  });

  it('runs the sweep every 15 minutes by default', () => {
    // Act
    const rules = rulesTargeting('ReconcileLambdaFunction');

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]?.rule.Properties.ScheduleExpression).toBe('rate(15 minutes)');
  });

  it('throttles the HTTP API, whose sidecar routes are open at the gateway', () => {
    // Act
    const stage = resource(template, 'HttpApiStage').Properties;

    // Assess
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 });
  });

  it('serves sidecar routes without an authorizer and admin routes with IAM auth', () => {
    // Act
    const routes = Object.fromEntries(
      resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => [
        r.Properties.RouteKey,
        r.Properties.AuthorizationType ?? 'NONE',
      ]),
    );

    // Assess
    expect(routes).toEqual({
      'ANY /v1/policy': 'NONE',
      'ANY /v1/audits': 'NONE',
      'ANY /v1/rules': 'AWS_IAM',
      'ANY /v1/rules/{proxy+}': 'AWS_IAM',
      'ANY /v1/embed': 'AWS_IAM',
    });
    const [[, integration] = []] = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
    expect(refersTo(integration?.Properties.IntegrationUri, 'PolicyLambdaFunction')).toBe(true);
  });
});

describe('Function: admission event pattern', () => {
  const events = recordedEvents();
  const patternOf = () => {
    const [first] = admissionRules('AWS API Call via CloudTrail');
    return first?.rule.Properties.EventPattern as EventPattern;
  };
  const detailOf = (event: Record<string, unknown>) => (event.detail ?? {}) as Record<string, unknown>;
  const isHandledCall = (event: Record<string, unknown>) =>
    event.source === 'aws.ecs' &&
    event['detail-type'] === 'AWS API Call via CloudTrail' &&
    detailOf(event).eventSource === 'ecs.amazonaws.com' &&
    HANDLED_CALLS.includes(String(detailOf(event).eventName)) &&
    !('errorCode' in detailOf(event));

  it('has recorded events to evaluate, handled and ignored ones', () => {
    // Assess
    expect(events.filter(({ event }) => isHandledCall(event)).length).toBeGreaterThanOrEqual(3);
    expect(events.filter(({ event }) => !isHandledCall(event)).length).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['register-task-definition.json', true],
    ['update-service.json', true],
    ['run-task.json', true],
    ['ignored-failed-register.json', false],
    ['ignored-task-state-change.json', false],
    ['deployment-failed.json', false],
  ])('decides events/%s: matches=%s', (file, expected) => {
    // Prepare
    const recorded = events.find(({ name }) => name === `events/${file}`);

    // Act
    const matches = matchesEventPattern(patternOf(), recorded?.event);

    // Assess
    expect(recorded).toBeDefined();
    expect(matches).toBe(expected);
  });

  it.each([
    [
      'datadog-securitylabs__tales-from-the-cloud-trenches-ecs-crypto-mining__RegisterTaskDefinition.json',
      true,
    ],
    ['datadog-securitylabs__tales-from-the-cloud-trenches-ecs-crypto-mining__CreateService.json', true],
    ['datadog-securitylabs__tales-from-the-cloud-trenches-ecs-crypto-mining__CreateCluster.json', false],
    ['awsdocs__amazon-ecs-developer-guide__doc_source_logging-using-cloudtrail.md__L38-L85.json', false],
    ['awsdocs__amazon-ecs-developer-guide__doc_source_ecs_cwe_events.md__L210-L292.json', false],
    ['awsdocs__amazon-ecs-developer-guide__doc_source_ecs_cwe_events.md__L357-L374.json', false],
    ['awsdocs__amazon-ecs-developer-guide__doc_source_ecs_cwe_events.md__L587-L605.json', false],
  ])('decides corpus/%s: matches=%s', (file, expected) => {
    // Prepare
    const recorded = events.find(({ name }) => name === `corpus/${file}`);

    // Act
    const matches = matchesEventPattern(patternOf(), recorded?.event);

    // Assess
    expect(recorded).toBeDefined();
    expect(matches).toBe(expected);
  });

  it('matches every successful handled call and nothing else among the recorded events', () => {
    // Act
    const wrong = events
      .filter(({ event }) => matchesEventPattern(patternOf(), event) !== isHandledCall(event))
      .map(({ name }) => name);

    // Assess
    expect(wrong).toEqual([]);
  });

  it('filters out the failed variant of every handled call', () => {
    // Prepare
    const failed = events
      .filter(({ event }) => isHandledCall(event))
      .flatMap(({ name, event }) =>
        ['AccessDenied', 'ClientException', 'ThrottlingException'].map((errorCode) => ({
          name: `${name} (${errorCode})`,
          event: { ...event, detail: { ...detailOf(event), errorCode, errorMessage: 'recorded failure' } },
        })),
      );

    // Act
    const matched = failed
      .filter(({ event }) => matchesEventPattern(patternOf(), event))
      .map(({ name }) => name);

    // Assess
    expect(failed.length).toBeGreaterThan(0);
    expect(matched).toEqual([]);
  });
});

describe('Function: environment', () => {
  it.each(['admission', 'reconcile'] as const)('gives %s an environment its settings accept', (name) => {
    // Act
    const settings = loadAdmissionSettings(deployedEnvironment(template, `${LOGICAL[name]}LambdaFunction`));

    // Assess
    expect(settings.mode).toBe('audit');
    expect(settings.stateTable).toBe('ecs-admission-ci-StateTable');
    expect(settings.indexTable).toBe('ecs-admission-ci-ServiceIndexTable');
    expect(settings.busName).toBe('ecs-admission-ci-EventBus');
    expect(settings.ownRoleArns).toEqual([
      'arn:aws:iam::111122223333:role/ecs-admission-ci-AdmissionRole',
      'arn:aws:iam::111122223333:role/ecs-admission-ci-ReconcileRole',
    ]);
    expect(settings.embed.policyUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    // Each twin's defender token is minted with the policy service's key (no token secret by default).
    expect(settings.signingKeySecretArn).toBe('ecs-admission-ci-TokenSigningKey');
    expect(settings.embed.tokenSecretArn).toBeUndefined();
  });

  it.each(['AdmissionRole', 'ReconcileRole'])(
    'lets %s read the signing key it mints defender tokens with, and no other secret but the registry credentials',
    (roleId) => {
      // Act
      const reads = collectStatements(template).filter(
        ({ owner, statement }) =>
          owner.startsWith(`${roleId}/`) &&
          JSON.stringify(statement.Action).includes('secretsmanager:') &&
          statement.Sid !== 'ReadRegistryCredentials',
      );

      // Assess
      expect(reads).toHaveLength(1);
      expect(reads[0]?.statement).toMatchObject({
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: 'TokenSigningKey' },
      });
    },
  );

  it.each(['admission', 'reconcile'] as const)('gives %s what the member-account clients need', (name) => {
    // Act
    const env = deployedEnvironment(template, `${LOGICAL[name]}LambdaFunction`);

    // Assess: the inputs of AccountClients (src/aws/assume-role.ts).
    expect(env).toMatchObject({
      ECS_ADMISSION_ACCOUNT_ID: '111122223333',
      ECS_ADMISSION_MEMBER_ROLE_NAME: 'ecs-admission-member',
      ECS_ADMISSION_MEMBER_EXTERNAL_ID: 'ci-external-id-0123456789',
    });
  });
  it('gives policy an environment its settings accept', () => {
    // Act
    const settings = loadPolicySettings(deployedEnvironment(template, 'PolicyLambdaFunction'));

    // Assess
    expect(settings.rulesTable).toBe('ecs-admission-ci-RulesTable');
    expect(settings.busName).toBe('ecs-admission-ci-EventBus');
    expect(settings.signingKeySecretArn).toBe('ecs-admission-ci-TokenSigningKey');
    expect(settings.embedConfig).toMatchObject({
      policyUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      images: { X86_64: 'ecs-admission/defender:latest', ARM64: 'ecs-admission/defender:latest' },
    });
  });

  it('sets every variable the settings modules read, except the tuning knobs left at their defaults', () => {
    // Prepare
    const tuning = [
      'ECS_ADMISSION_CLAIM_SECONDS',
      'ECS_ADMISSION_SWEEP_RESERVE_MS',
      'ECS_ADMISSION_SWEEP_MAX_REGISTRATIONS',
      'ECS_ADMISSION_POLICY_CHECK_SECONDS',
    ];
    const expected = {
      AdmissionLambdaFunction: Object.keys(AdmissionEnvSchema.shape),
      ReconcileLambdaFunction: Object.keys(AdmissionEnvSchema.shape),
      PolicyLambdaFunction: Object.keys(PolicyEnvSchema.shape),
    };

    // Act
    const missing = Object.entries(expected).flatMap(([id, names]) => {
      const set = Object.keys(deployedEnvironment(template, id));
      return names.filter((n) => !tuning.includes(n) && !set.includes(n)).map((n) => `${id}: ${n}`);
    });

    // Assess
    expect(missing).toEqual([]);
  });
});

describe('Function: deployment-failure pattern', () => {
  const events = recordedEvents();
  const patternOf = () =>
    admissionRules('ECS Deployment State Change')[0]?.rule.Properties.EventPattern as EventPattern;
  const isFailedDeployment = (event: Record<string, unknown>) =>
    event.source === 'aws.ecs' &&
    event['detail-type'] === 'ECS Deployment State Change' &&
    (event.detail as Record<string, unknown> | undefined)?.eventName === 'SERVICE_DEPLOYMENT_FAILED';

  it('matches the recorded failed deployment and nothing else', () => {
    // Act
    const matched = events
      .filter(({ event }) => matchesEventPattern(patternOf(), event))
      .map(({ name }) => name);

    // Assess
    expect(matched).toContain(
      'corpus/awsdocs__amazon-ecs-developer-guide__doc_source_ecs_cwe_events.md__L587-L605.json',
    );
    expect(matched).toContain('events/deployment-failed.json');
    expect(matched).toEqual(events.filter(({ event }) => isFailedDeployment(event)).map(({ name }) => name));
  });

  it('ignores the other deployment states', () => {
    // Prepare
    const [failed] = events.filter(({ event }) => isFailedDeployment(event));
    const others = ['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_COMPLETED'].map((eventName) => ({
      ...failed?.event,
      detail: { ...(failed?.event.detail as object), eventName },
    }));

    // Assess
    for (const event of others) expect(matchesEventPattern(patternOf(), event)).toBe(false);
  });
});

describe('Function: least privilege', () => {
  it('grants no wildcard action, and * resources only where the API has no resource type', () => {
    // Act
    const problems = privilegeProblems(template);

    // Assess
    expect(problems).toEqual([]);
  });

  it('finds a broad grant when one is added (the check itself can fail)', () => {
    // Prepare
    const broken = structuredClone(template);
    const role = resource(broken, 'PolicyRole');
    const [policy] = role.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[];
    policy?.PolicyDocument.Statement.push(
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: { 'Fn::GetAtt': ['RulesTable', 'Arn'] } },
      { Effect: 'Allow', Action: 'ecs:UpdateService', Resource: '*' },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111122223333:role/x' },
    );

    // Act
    const problems = privilegeProblems(broken);

    // Assess
    expect(problems).toEqual([
      'PolicyRole/policy: wildcard action dynamodb:*',
      "PolicyRole/policy: ecs:UpdateService on '*'",
      'PolicyRole/policy: iam:PassRole beyond this account',
      'PolicyRole/policy: iam:PassRole without iam:PassedToService ecs-tasks.amazonaws.com',
    ]);
  });

  it.each([
    [
      'AdmissionRole',
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'ecs:DeregisterTaskDefinition',
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:ListClusters',
        'ecs:ListServices',
        'ecs:ListTagsForResource',
        'ecs:ListTaskDefinitions',
        'ecs:RegisterTaskDefinition',
        'ecs:StopTask',
        'ecs:TagResource',
        'ecs:UpdateService',
        'events:PutEvents',
        'iam:PassRole',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
        'sts:AssumeRole',
      ],
    ],
    [
      'ReconcileRole',
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'ecs:DeregisterTaskDefinition',
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:ListClusters',
        'ecs:ListServices',
        'ecs:ListTagsForResource',
        'ecs:ListTaskDefinitions',
        'ecs:RegisterTaskDefinition',
        'ecs:TagResource',
        'ecs:UpdateService',
        'events:PutEvents',
        'iam:PassRole',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
      ],
    ],
    [
      'PolicyRole',
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
      ],
    ],
  ])('gives %s exactly the actions its code calls', (roleId, expected) => {
    // Act
    const actions = roleActions(template, roleId);

    // Assess
    expect(actions).toEqual(expected);
  });

  it('lets the image look-up read only the private-registry credentials the stack names', () => {
    // Act
    const reads = collectStatements(template).filter(
      ({ kind, statement }) => kind === 'identity' && statement.Sid === 'ReadRegistryCredentials',
    );

    // Assess
    expect(reads.map(({ owner }) => owner.split('/')[0]).sort()).toEqual([
      'AdmissionRole',
      'PolicyRole',
      'ReconcileRole',
    ]);
    for (const { statement } of reads) {
      expect(statement.Action).toBe('secretsmanager:GetSecretValue');
      expect(statement.Resource).toEqual({
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${REGISTRY_SECRETS}`,
      });
    }
    expect(template.Conditions?.HasRegistryCredentials).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [REGISTRY_SECRETS, ''] }],
    });
  });

  it('passes roles only to ECS tasks, only for the configured role-name pattern', () => {
    // Act
    const passRole = collectStatements(template).filter(
      ({ kind, statement }) =>
        kind === 'identity' && JSON.stringify(statement.Action).includes('iam:PassRole'),
    );

    // Assess
    expect(passRole.map(({ owner }) => owner).sort()).toEqual([
      'AdmissionRole/admission',
      'ReconcileRole/reconcile',
    ]);
    for (const { statement } of passRole) {
      expect(statement.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*',
      });
      expect(statement.Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      });
    }
  });

  it('assumes only the member-account role, inside the organisation', () => {
    // Act
    const assume = collectStatements(template).filter(
      ({ kind, statement }) =>
        kind === 'identity' && JSON.stringify(statement.Action).includes('sts:AssumeRole'),
    );

    // Assess
    expect(assume.map(({ owner }) => owner)).toEqual(['AdmissionRole/admission', 'AdmissionRole/admission']);
    for (const { statement } of assume) {
      expect(statement.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/ecs-admission-member',
      });
    }
    expect(assume.map(({ statement }) => statement.Condition)).toContainEqual({
      StringEquals: { 'aws:ResourceOrgID': 'o-abc123def4' },
    });
  });

  it('lets only organisation members put ECS events on the product bus', () => {
    // Act
    const policy = resource(template, 'EventBusOrganizationPolicy');

    // Assess
    expect(policy.Condition).toBe('HasOrganization');
    expect(policy.Properties.Statement).toMatchObject({
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4', 'events:source': 'aws.ecs' } },
    });
  });
});

describe('Function: nothing lost, someone told', () => {
  it('keeps dead letters for 14 days, writable only by this stack’s admission rules', () => {
    // Act
    const queue = resource(template, 'AdmissionDeadLetterQueue');
    const [[, queuePolicy] = []] = resourcesOfType(template, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
      refersTo(p.Properties.Queues, 'AdmissionDeadLetterQueue'),
    );
    const document = queuePolicy?.Properties.PolicyDocument as
      | { Statement: Record<string, unknown>[] }
      | undefined;
    const allow = document?.Statement.find((s) => s.Effect === 'Allow');

    // Assess
    expect(queue.Properties.MessageRetentionPeriod).toBe(1209600);
    const ruleNames = rulesTargeting('AdmissionLambdaFunction').map(({ rule }) =>
      String(rule.Properties.Name),
    );
    const sourceArns = JSON.stringify(allow?.Condition);
    for (const name of ruleNames) expect(sourceArns).toContain(`/${name}`);
  });

  it('alarms on dead letters and on delivery failures', () => {
    // Act
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

    // Assess
    const dlq = alarms.find((a) => refersTo(a.Dimensions, 'AdmissionDeadLetterQueue'));
    expect(dlq).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    expect(dlq?.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    expect(alarms.some((a) => a.MetricName === 'FailedInvocations')).toBe(true);
  });

  it('alarms on 5xx answers of the policy API, which Lambda errors would not show', () => {
    // Act
    const alarm = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .find((a) => a.Namespace === 'AWS/ApiGateway');

    // Assess
    expect(alarm).toMatchObject({ MetricName: '5xx', Threshold: 0, AlarmActions: [{ Ref: 'AlarmTopic' }] });
    expect(alarm?.Dimensions).toEqual([
      { Name: 'ApiId', Value: { Ref: 'HttpApi' } },
      { Name: 'Stage', Value: '$default' },
    ]);
  });

  it('sends alarms through a topic CloudWatch can publish to', () => {
    // Act
    const topic = resource(template, 'AlarmTopic').Properties;

    // Assess: CloudWatch cannot use the AWS-managed SNS key; such a topic silently drops alarms.
    expect(topic.KmsMasterKeyId).toBeUndefined();
  });

  it.each(FUNCTION_NAMES)('alarms on errors and throttles of %s', (name) => {
    // Act
    const metrics = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => refersTo(a.Dimensions, `${LOGICAL[name]}LambdaFunction`))
      .map((a) => a.MetricName)
      .sort();

    // Assess
    expect(metrics).toEqual(['Errors', 'Throttles']);
  });

  it('keeps every table recoverable to a point in time, on demand', () => {
    // Act
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');

    // Assess
    expect(tables.map(([id]) => id).sort()).toEqual(['RulesTable', 'ServiceIndexTable', 'StateTable']);
    for (const [, table] of tables) {
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    }
    expect(resource(template, 'RulesTable').DeletionPolicy).toBe('Retain');
  });

  it.each([
    ['StateTable', stateTableDefinition('x')],
    ['ServiceIndexTable', indexTableDefinition('x')],
  ])('declares %s with the key schema its store uses', (id, definition) => {
    // Act
    const table = resource(template, id).Properties;

    // Assess
    expect(table.KeySchema).toEqual(definition.KeySchema);
    expect(table.AttributeDefinitions).toEqual(definition.AttributeDefinitions);
  });

  it('declares the rules table with the partition key the rules store uses', () => {
    // Act
    const table = resource(template, 'RulesTable').Properties;

    // Assess: src/policy/rules-store.ts keeps every item under the string key `pk`, no sort key.
    expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
  });

  it('sets a retention on every log group', () => {
    // Act
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');

    // Assess
    expect(groups.length).toBeGreaterThanOrEqual(5);
    for (const [id, group] of groups) expect([id, group.Properties.RetentionInDays]).toEqual([id, 30]);
  });

  it('sends runtime audits to their log group, which lets EventBridge write', () => {
    // Act
    const [[, rule] = []] = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.EventPattern ?? {}).includes('ECS Runtime Audit'),
    );
    const policy = resourcesOfType(template, 'AWS::Logs::ResourcePolicy').map(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument),
    );

    // Assess
    expect(rule?.Properties.EventBusName).toEqual({ Ref: 'EventBus' });
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['ecs-admission'],
      'detail-type': ['ECS Runtime Audit'],
    });
    expect(refersTo(rule?.Properties.Targets, 'AuditLogGroup')).toBe(true);
    expect(policy.join()).toContain('events.amazonaws.com');
    expect(policy.join()).toContain('${AuditLogGroup}');
    expect(policy.join()).toContain('${AuditLogRule.Arn}');
  });

  it('generates the token signing key in Secrets Manager', () => {
    // Act
    const secret = resource(template, 'TokenSigningKey');

    // Assess
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    expect(secret.Properties.SecretString).toBeUndefined();
  });
});
