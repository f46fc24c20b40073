import {
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rulesTableSource } from '../../src/admission/aws-admission-runtime.js';
import { type AdmissionReplay, startAdmissionReplay } from '../../src/local/admission-replay.js';
import type { Rule } from '../../src/policy/rules-schema.js';
import { DynamoRulesStore } from '../../src/policy/rules-store.js';
import { type DynamoServer, startDynamoServer } from '../support/dynamo-server.js';
import { account, fargate } from './support/fixtures.js';

let dynamo: DynamoServer;
let replay: AdmissionReplay | undefined;
beforeAll(async () => {
  dynamo = await startDynamoServer();
});
afterAll(async () => {
  await dynamo.stop();
});
afterEach(async () => {
  await replay?.close();
  replay = undefined;
});

const web = fargate('web');
const app = web.containerDefinitions[0] as Record<string, unknown>;
app.portMappings = [{ containerPort: 80, protocol: 'tcp', name: 'http', appProtocol: 'http' }];

const waasRule: Rule = {
  name: 'web-waas',
  scope: { families: ['web'] },
  waas: { effect: 'prevent', protections: ['sqli'], paranoiaLevel: 1, exposedPort: 8080, appPort: 80 },
};

/** Registers `web` as a user of the account and lets the controller handle what follows. */
async function registerWeb(r: AdmissionReplay): Promise<void> {
  const client = r.sim.client();
  try {
    await client.send(new RegisterTaskDefinitionCommand(web as RegisterTaskDefinitionCommandInput));
  } finally {
    client.destroy();
  }
  await r.settle();
}

type Container = { name: string; portMappings?: { containerPort?: number }[] };
const containersOfTwin = (r: AdmissionReplay): Container[] | undefined => {
  const twin = r.sim.state
    .snapshot()
    .taskDefinitions.find((t) => (t.tags as { key: string }[]).some((g) => g.key === 'ecs-admission:source'));
  return twin?.containerDefinitions as Container[] | undefined;
};

describe('Function: rulesTableSource (admission reads the WAAS policy from the rules table)', () => {
  it("registers a twin whose sidecar takes the policy's exposed port and whose app no longer maps its port", async () => {
    // Prepare
    const tableName = await dynamo.createTable('rules');
    await new DynamoRulesStore({ tableName, client: dynamo.client }).write([waasRule], '0');
    replay = await startAdmissionReplay({
      account: account([], []),
      policies: rulesTableSource(tableName, dynamo.client),
    });

    // Act
    await registerWeb(replay);

    // Assess
    const containers = new Map((containersOfTwin(replay) ?? []).map((c) => [c.name, c]));
    expect(containers.get('ecs-admission-defender')?.portMappings?.map((m) => m.containerPort)).toEqual([
      8080,
    ]);
    expect(containers.get('app')?.portMappings ?? []).toEqual([]);
    const decision = replay.bus.entries
      .map((e) => e.detail as { outcome?: string; changes?: { kind: string }[] })
      .find((d) => d.outcome === 'protected');
    expect(decision?.changes?.map((c) => c.kind)).toEqual(
      expect.arrayContaining(['remove-port', 'waas-port']),
    );
  });

  it('leaves the ports alone when no rule has a waas section for the family', async () => {
    // Prepare
    const tableName = await dynamo.createTable('rules');
    await new DynamoRulesStore({ tableName, client: dynamo.client }).write(
      [{ ...waasRule, scope: { families: ['other'] } }],
      '0',
    );
    replay = await startAdmissionReplay({
      account: account([], []),
      policies: rulesTableSource(tableName, dynamo.client),
    });

    // Act
    await registerWeb(replay);

    // Assess
    const containers = new Map((containersOfTwin(replay) ?? []).map((c) => [c.name, c]));
    expect(containers.get('app')?.portMappings?.map((m) => m.containerPort)).toEqual([80]);
    expect(containers.get('ecs-admission-defender')?.portMappings ?? []).toEqual([]);
  });

  it('registers no twin while the rules cannot be read: the event fails and is retried', async () => {
    // Prepare
    replay = await startAdmissionReplay({
      account: account([], []),
      policies: rulesTableSource('no-such-rules-table', dynamo.client),
      maxDeliveries: 2,
    });

    // Act
    await registerWeb(replay);

    // Assess
    expect(containersOfTwin(replay)).toBeUndefined();
    expect(replay.deadLetters).toHaveLength(1);
    expect(replay.deadLetters[0]?.error).toMatch(/could not read the policy/);
  });

  it('moves a load-balanced service onto the twin with its target group pointed at the WAAS proxy', async () => {
    // Prepare
    const tableName = await dynamo.createTable('rules');
    await new DynamoRulesStore({ tableName, client: dynamo.client }).write([waasRule], '0');
    replay = await startAdmissionReplay({
      account: account([], [{ clusterName: 'prod', services: [] }]),
      policies: rulesTableSource(tableName, dynamo.client),
      mode: 'enforce',
    });
    const targetGroupArn =
      'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef';
    const client = replay.sim.client();

    // Act
    try {
      await client.send(new RegisterTaskDefinitionCommand(web as RegisterTaskDefinitionCommandInput));
      await client.send(
        new CreateServiceCommand({
          cluster: 'prod',
          serviceName: 'web',
          taskDefinition: 'web:1',
          desiredCount: 2,
          loadBalancers: [{ targetGroupArn, containerName: 'app', containerPort: 80 }],
        }),
      );
    } finally {
      client.destroy();
    }
    await replay.settle();

    // Assess
    const reader = replay.sim.client();
    const [service] =
      (await reader.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services ?? [];
    reader.destroy();
    expect(service?.taskDefinition).toMatch(/:task-definition\/web:2$/);
    expect(service?.loadBalancers).toEqual([
      { targetGroupArn, containerName: 'ecs-admission-defender', containerPort: 8080 },
    ]);
    expect(replay.deadLetters).toEqual([]);
    const moved = replay.bus.entries
      .flatMap((e) => (e.detail as { actions?: { kind: string; detail?: string }[] }).actions ?? [])
      .find((a) => a.kind === 'update-service');
    expect(moved?.detail).toContain('app:80 -> ecs-admission-defender:8080');
  });
});
