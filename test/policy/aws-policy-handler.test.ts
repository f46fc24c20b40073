import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsPolicyHandler } from '../../src/policy/aws-policy-handler.js';
import { mintDefenderToken } from '../../src/policy/defender-token.js';
import { loadPolicySettings } from '../../src/policy/settings.js';
import { type DynamoServer, startDynamoServer } from '../support/dynamo-server.js';
import { fargateTask } from '../support/samples.js';

const KEY = 'lambda-signing-key-0123456789abcdefghijkl';
const secrets = mockClient(SecretsManagerClient);
const eventBridge = mockClient(EventBridgeClient);
let dynamo: DynamoServer;

beforeAll(async () => {
  dynamo = await startDynamoServer();
});
afterAll(async () => {
  await dynamo.stop();
});
afterEach(() => {
  secrets.reset();
  eventBridge.reset();
});

function event(method: string, path: string, extra: Record<string, unknown> = {}, iam = false) {
  const { headers, query, body, base64 } = extra as {
    headers?: Record<string, string>;
    query?: Record<string, string>;
    body?: string;
    base64?: boolean;
  };
  return {
    version: '2.0',
    routeKey: `ANY ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc.execute-api.us-east-1.amazonaws.com', ...headers },
    ...(query ? { queryStringParameters: query } : {}),
    ...(body !== undefined
      ? { body: base64 ? Buffer.from(body).toString('base64') : body, isBase64Encoded: base64 ?? false }
      : {}),
    requestContext: {
      accountId: '123456789012',
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      http: { method, path },
      ...(iam
        ? { authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/ci', accountId: '123456789012' } } }
        : {}),
    },
  };
}

async function handler() {
  const table = await dynamo.createTable();
  return createAwsPolicyHandler({
    settings: loadPolicySettings({
      ECS_ADMISSION_RULES_TABLE: table,
      ECS_ADMISSION_BUS_NAME: 'bus',
      ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:key',
    }),
    dynamo: dynamo.client,
    eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    secrets: new SecretsManagerClient({ region: 'us-east-1' }),
  });
}

describe('Function: createAwsPolicyHandler', () => {
  it('serves admin routes only to IAM-authenticated callers and sidecar routes to tokens', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const handle = await handler();
    const token = mintDefenderToken({ account: '123456789012', family: 'web' }, KEY);
    const rules = JSON.stringify({
      rules: [{ name: 'web', scope: { families: ['web'] }, dns: { effect: 'alert', allow: ['*.internal'] } }],
    });

    // Act
    const anonymous = await handle(event('PUT', '/v1/rules', { body: rules }));
    const pushed = await handle(event('PUT', '/v1/rules', { body: rules, base64: true }, true));
    const policy = await handle(
      event('GET', '/v1/policy', {
        query: { container: 'app' },
        headers: { authorization: `Bearer ${token}` },
      }),
    );

    // Assess
    expect(anonymous.statusCode).toBe(401);
    expect(pushed.statusCode).toBe(200);
    expect(policy.statusCode).toBe(200);
    expect(JSON.parse(policy.body).rule).toBe('web');
    expect(policy.headers.etag).toBeDefined();
  });

  it('answers 503 while the signing key cannot be read, then recovers', async () => {
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: KEY });
    const handle = await handler();
    const first = await handle(event('GET', '/v1/health'));
    const second = await handle(event('GET', '/v1/health'));
    expect(first.statusCode).toBe(503);
    expect(first.body).not.toContain('throttled');
    expect(second.statusCode).toBe(200);
  });

  it('puts audits on EventBridge and embeds with a token for the caller account', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const handle = await handler();
    const token = mintDefenderToken({ account: '123456789012', family: 'web' }, KEY);
    const audits = await handle(
      event('POST', '/v1/audits', {
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({
          audits: [
            {
              time: '2026-11-22T00:00:00Z',
              family: 'web',
              container: 'app',
              kind: 'process',
              effect: 'alert',
              rule: null,
              message: 'm',
            },
          ],
        }),
      }),
    );
    const task = fargateTask([{ name: 'app', image: 'nginx', entryPoint: ['nginx'] }]);
    const embedded = await handle(event('POST', '/v1/embed', { body: JSON.stringify(task) }, true));
    expect(audits.statusCode).toBe(202);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe(
      'bus',
    );
    expect(embedded.statusCode).toBe(200);
    expect(embedded.body).toContain('https://abc.execute-api.us-east-1.amazonaws.com');
  });

  it('refuses an oversized body before decoding it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const handle = await handler();
    const response = await handle(
      event('PUT', '/v1/rules', { body: 'x'.repeat(6 * 1024 * 1024), base64: true }, true),
    );
    expect(response.statusCode).toBe(413);
  });
});

describe('Function: loadPolicySettings', () => {
  it('names every missing variable', () => {
    expect(() => loadPolicySettings({})).toThrow(
      /ECS_ADMISSION_RULES_TABLE: .*ECS_ADMISSION_BUS_NAME: .*ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: /,
    );
  });

  it('reads the check interval and the embed configuration', () => {
    const settings = loadPolicySettings({
      ECS_ADMISSION_RULES_TABLE: 'rules',
      ECS_ADMISSION_BUS_NAME: 'bus',
      ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: 'arn',
      ECS_ADMISSION_POLICY_CHECK_SECONDS: '2',
      ECS_ADMISSION_EMBED_CONFIG: '{"pinDigests":true}',
      ECS_ADMISSION_DEFENDER_IMAGE_ARM64: 'img:arm',
    });
    expect(settings.checkIntervalMs).toBe(2000);
    expect(settings.embedConfig).toEqual({ pinDigests: true, images: { ARM64: 'img:arm' } });
    expect(() =>
      loadPolicySettings({
        ...process.env,
        ECS_ADMISSION_RULES_TABLE: 'rules',
        ECS_ADMISSION_BUS_NAME: 'b',
        ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: 'a',
        ECS_ADMISSION_POLICY_CHECK_SECONDS: 'soon',
      }),
    ).toThrow('ECS_ADMISSION_POLICY_CHECK_SECONDS: expected whole seconds from 0 to 300');
  });
});
