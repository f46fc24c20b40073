import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo } from '../src/local/local-dynamo.js';
import { mintDefenderToken } from '../src/policy/defender-token.js';
import { tokenAdminAuthenticator } from '../src/policy/http/auth.js';
import type { HttpRequest } from '../src/policy/http/types.js';
import { createPolicyService } from '../src/policy/policy-service.js';
import { replaceAllRules } from '../src/policy/rules-admin.js';
import type { Rule } from '../src/policy/rules-schema.js';
import { DynamoRulesStore } from '../src/policy/rules-store.js';
import type { BenchResult } from './bench-result.js';
import { percentile } from './stats.js';

const RULES = 1000;
const CONTAINERS = 200;
const ITERATIONS = 20_000;
const KEY = 'bench-signing-key-0123456789abcdefghijkl';

async function timeMs(fn: () => Promise<unknown>, iterations: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

/**
 * `GET /v1/policy` handler time with 1,000 rules in DynamoDB (dynalite on loopback): router, token
 * verification, query validation, cache and compiled-policy memo, for 200 containers polled in turn
 * (each matching a rule near the end of the list, so first-match scans far). The version check
 * against the store runs every 5 s as in production and is part of the figures.
 */
export async function bench(): Promise<BenchResult[]> {
  const { client, close } = await startLocalDynamo();
  try {
    await client.send(
      new CreateTableCommand({
        TableName: 'policy-bench',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const store = new DynamoRulesStore({ tableName: 'policy-bench', client });
    const rules: Rule[] = Array.from({ length: RULES }, (_, i) => ({
      name: `rule-${i}`,
      scope: { containers: [`svc-${i}-*`], images: ['*'] },
      processes: { effect: 'prevent', deny: ['/bin/mkdir', `/opt/tool-${i}`] },
      dns: { effect: 'alert', allow: ['*.internal', `api-${i}.example.com`] },
    }));
    await replaceAllRules(store, { rules }, '0');
    const service = createPolicyService({
      store,
      bus: { put: async () => ({ failed: [] }) },
      signingKeys: [KEY],
      authenticateAdmin: tokenAdminAuthenticator('bench-admin'),
    });
    const token = mintDefenderToken({ account: '123456789012', family: 'bench' }, KEY);
    const requests: HttpRequest[] = Array.from({ length: CONTAINERS }, (_, i) => ({
      method: 'GET',
      path: '/v1/policy',
      query: {
        container: `svc-${RULES - 1 - i}-app`,
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1',
      },
      headers: { authorization: `Bearer ${token}` },
    }));

    const coldStart = process.hrtime.bigint();
    const first = await service.handle(requests[0] as HttpRequest);
    const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
    if (first.status !== 200) throw new Error(`GET /v1/policy answered ${first.status}`);
    const etags = new Map<number, string>();
    for (let i = 0; i < CONTAINERS; i++) {
      etags.set(i, (await service.handle(requests[i] as HttpRequest)).headers.etag ?? '');
    }

    let n = 0;
    const warm = await timeMs(() => service.handle(requests[n++ % CONTAINERS] as HttpRequest), ITERATIONS);
    let m = 0;
    const conditional = requests.map((r, i) => ({
      ...r,
      headers: { ...r.headers, 'if-none-match': etags.get(i) ?? '' },
    }));
    const notModified = await timeMs(async () => {
      const response = await service.handle(conditional[m++ % CONTAINERS] as HttpRequest);
      if (response.status !== 304) throw new Error(`expected 304, got ${response.status}`);
    }, ITERATIONS);

    const warmP99 = percentile(warm, 99);
    const notModifiedP99 = percentile(notModified, 99);
    return [
      {
        name: `GET /v1/policy warm p99 (${RULES} rules)`,
        value: warmP99,
        unit: 'ms',
        target: '< 5 ms',
        ok: warmP99 < 5,
      },
      { name: 'GET /v1/policy warm p50', value: percentile(warm, 50), unit: 'ms' },
      {
        name: 'GET /v1/policy 304 p99',
        value: notModifiedP99,
        unit: 'ms',
        target: '< 2 ms',
        ok: notModifiedP99 < 2,
      },
      { name: 'GET /v1/policy 304 p50', value: percentile(notModified, 50), unit: 'ms' },
      { name: 'GET /v1/policy first request (load + compile)', value: coldMs, unit: 'ms' },
    ];
  } finally {
    await close();
  }
}
