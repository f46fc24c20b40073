import {
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { resolveEmbedConfig } from '../src/embed/config.js';
import { embedTaskDefinition } from '../src/embed/embed.js';
import { type AdmissionReplay, startAdmissionReplay } from '../src/local/admission-replay.js';
import type { AccountFile } from '../src/local/ecs-simulator/account-file.js';
import type { BenchResult } from './bench-result.js';

const FAMILIES = 50;
const CLUSTERS = 50;
const SERVICES_PER_CLUSTER = 20;

function fargate(family: string): AccountFile['taskDefinitions'][number] {
  return {
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      { name: 'app', image: 'nginx:1.27', essential: true, entryPoint: ['nginx', '-g', 'daemon off;'] },
    ],
  };
}

/**
 * 1,000 services in 50 clusters over 50 families; revision 1 of each family is unprotected and
 * revision 2 is its protected twin, which every service runs (a steady-state account).
 */
function bigAccount(): AccountFile {
  const config = resolveEmbedConfig({});
  const taskDefinitions: AccountFile['taskDefinitions'] = [];
  for (let f = 0; f < FAMILIES; f++) {
    const source = fargate(`fam${f}`);
    const described = {
      taskDefinition: {
        ...source,
        taskDefinitionArn: `arn:aws:ecs:us-east-1:111122223333:task-definition/fam${f}:1`,
        revision: 1,
        status: 'ACTIVE',
      },
    };
    const twin = embedTaskDefinition(described, config).output;
    if (!twin) throw new Error('bench: the transform did not protect the sample task definition');
    taskDefinitions.push(source, twin as AccountFile['taskDefinitions'][number]);
  }
  return {
    account: '111122223333',
    region: 'us-east-1',
    taskDefinitions,
    clusters: Array.from({ length: CLUSTERS }, (_, c) => ({
      clusterName: `cluster${c}`,
      services: Array.from({ length: SERVICES_PER_CLUSTER }, (_, s) => ({
        serviceName: `svc${s}`,
        taskDefinition: `fam${(c * SERVICES_PER_CLUSTER + s) % FAMILIES}:2`,
        desiredCount: 1,
        deploymentController: { type: 'ECS' as const },
      })),
    })),
  };
}

const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

/** Registers a new revision as a user and returns the CloudTrail event it produced. */
async function userRegister(r: AdmissionReplay, family: string): Promise<unknown> {
  const client = r.sim.client();
  await client.send(new RegisterTaskDefinitionCommand(fargate(family) as RegisterTaskDefinitionCommandInput));
  client.destroy();
  return r.sim.events.drain()[0];
}

async function controllerCallsFor(r: AdmissionReplay, event: unknown): Promise<number> {
  r.sim.resetCounts();
  await r.deliver(event);
  return sum(r.sim.callsBy(r.controllerIdentity));
}

export async function bench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // Without the index: the first event must scan the account.
  const cold = await startAdmissionReplay({ account: bigAccount() });
  try {
    const calls = await controllerCallsFor(cold, await userRegister(cold, 'fam0'));
    results.push({
      name: 'API calls per RegisterTaskDefinition event, 1,000 services / 50 clusters, no index (scan)',
      value: calls,
      unit: 'calls',
    });
  } finally {
    await cold.close();
  }

  const warm = await startAdmissionReplay({ account: bigAccount() });
  try {
    warm.sim.resetCounts();
    const started = performance.now();
    await warm.sweep();
    const sweepMs = performance.now() - started;
    const firstSweepCalls = sum(warm.sim.callsBy(warm.controllerIdentity));
    results.push({
      name: 'first sweep ECS API calls, 1,000 services / 50 clusters (twins not yet known: +1 describe per family)',
      value: firstSweepCalls,
      unit: 'calls',
    });
    warm.sim.resetCounts();
    await warm.sweep();
    const sweepCalls = sum(warm.sim.callsBy(warm.controllerIdentity));
    results.push({
      name: 'steady-state sweep ECS API calls, 1,000 services / 50 clusters',
      value: sweepCalls,
      unit: 'calls',
      target: '≤ 151 (1 + 50 + 100)',
      ok: sweepCalls <= 151,
    });
    results.push({
      name: 'first sweep wall time, 1,000 services (simulator + dynalite on loopback)',
      value: sweepMs / 1000,
      unit: 's',
    });

    const registerCalls = await controllerCallsFor(warm, await userRegister(warm, 'fam1'));
    results.push({
      name: 'API calls per RegisterTaskDefinition event, with the family index',
      value: registerCalls,
      unit: 'calls',
      target: '≤ 3',
      ok: registerCalls <= 3,
    });

    // A user moves a service back to an unprotected revision: describe, twin known, move.
    warm.sim.events.drain();
    const client = warm.sim.client();
    await client.send(
      new UpdateServiceCommand({ cluster: 'cluster0', service: 'svc0', taskDefinition: 'fam0:1' }),
    );
    client.destroy();
    const [update] = warm.sim.events.drain();
    if ((update?.detail as { eventName?: string } | undefined)?.eventName !== 'UpdateService') {
      throw new Error('bench: expected the UpdateService event');
    }
    const foundCalls = await controllerCallsFor(warm, update);
    results.push({
      name: 'API calls per UpdateService event, twin embedded outside the controller (found by marker)',
      value: foundCalls,
      unit: 'calls',
    });
    // The user moves it back: now the twin is known to the state table.
    warm.sim.events.drain();
    const again = warm.sim.client();
    await again.send(
      new UpdateServiceCommand({ cluster: 'cluster0', service: 'svc0', taskDefinition: 'fam0:1' }),
    );
    again.destroy();
    const [moveBack] = warm.sim.events.drain();
    const updateCalls = await controllerCallsFor(warm, moveBack);
    results.push({
      name: 'API calls per UpdateService event (twin known: DescribeServices + UpdateService)',
      value: updateCalls,
      unit: 'calls',
      target: '≤ 2',
      ok: updateCalls <= 2,
    });

    // Warm handler time: the same event again (service already protected), and an ignored event.
    const rounds = 30;
    let t = performance.now();
    for (let i = 0; i < rounds; i++) await warm.deliver(update);
    results.push({
      name: 'handler time per event, warm (service event, already protected)',
      value: (performance.now() - t) / rounds,
      unit: 'ms',
    });
    const ignored = { 'detail-type': 'ECS Task State Change', source: 'aws.ecs', detail: {} };
    t = performance.now();
    for (let i = 0; i < 1000; i++) await warm.deliver(ignored);
    results.push({
      name: 'handler time per ignored event, warm',
      value: (performance.now() - t) / 1000,
      unit: 'ms',
      target: '< 1 ms',
      ok: (performance.now() - t) / 1000 < 1,
    });
    warm.sim.resetCounts();
    await warm.deliver(update);
    results.push({
      name: 'API calls per duplicate event (service already protected)',
      value: sum(warm.sim.callsBy(warm.controllerIdentity)),
      unit: 'calls',
    });
  } finally {
    await warm.close();
  }
  return results;
}
