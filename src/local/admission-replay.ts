import { randomBytes } from 'node:crypto';
import type { EventOutcome } from '../admission/admission-controller.js';
import { type AdmissionRuntime, createAdmissionRuntime } from '../admission/admission-runtime.js';
import type { StructuredLog } from '../admission/decision-publisher.js';
import type { Exclusions, Mode } from '../admission/plan.js';
import type { AdmissionSettings } from '../admission/settings.js';
import { type TokenFor, tokenMinter } from '../admission/twin-token.js';
import { createAdmissionTables } from '../aws/admission-tables.js';
import type { BusEntry, EventBus } from '../aws/event-bus.js';
import type { EmbedConfig } from '../embed/config.js';
import { resolveEmbedConfig } from '../embed/config.js';
import type { Decision } from '../embed/decision.js';
import type { ImageConfigResolver } from '../embed/image-config.js';
import type { PolicySource } from '../policy/policy-cache.js';
import { type AccountFile, loadAccount } from './ecs-simulator/account-file.js';
import type { CallerIdentity } from './ecs-simulator/cloudtrail-event.js';
import { type EcsSimulator, startEcsSimulator } from './ecs-simulator/ecs-simulator.js';
import type { FaultSpec } from './ecs-simulator/fault-spec.js';
import { type LocalDynamo, startLocalDynamo } from './local-dynamo.js';
import { MemoryBus } from './memory-bus.js';

export interface AdmissionReplayOptions {
  account: AccountFile;
  embed?: EmbedConfig;
  mode?: Mode;
  exclusions?: Partial<Exclusions>;
  deregisterSource?: boolean;
  faults?: Partial<FaultSpec>;
  seed?: number;
  resolver?: ImageConfigResolver;
  /** EventBridge redelivers a failed event; after this many attempts it goes to the dead-letter queue. */
  maxDeliveries?: number;
  /** Called with each decision as it is published (the local stack prints them). */
  onDecision?: (decision: Decision) => void;
  /** Where decisions are logged (redacted, as in Lambda); default: nowhere. */
  log?: StructuredLog;
  /** Also put every bus entry (decisions, sweep summaries) here, e.g. the local stack's file bus. */
  forward?: EventBus;
  /**
   * Mints each twin's defender token (the local stack's `mintToken`, for tokens its policy API
   * accepts). Default: a key made up for this replay, so twins carry tokens as in AWS.
   */
  tokenFor?: TokenFor;
  /** The rules: each twin's WAAS ports come from its task's policy (as the admission Lambda reads them). */
  policies?: PolicySource;
  /** Skip the family index's first fill, so the scan fallback is what answers (bench). */
  claimMs?: number;
  now?: () => number;
}

/** The simulate output file (a stable format: users script against it). */
export interface ReplayReport {
  taskDefinitions: Record<string, unknown>[];
  services: {
    clusterName: string;
    serviceName: string;
    taskDefinition: string | undefined;
    deploymentController: { type: string };
  }[];
  decisions: Decision[];
  apiCalls: Record<string, number>;
}

/** A running replay: the simulator, local DynamoDB and the real admission runtime wired together. */
export interface AdmissionReplay {
  sim: EcsSimulator;
  dynamo: LocalDynamo;
  runtime: AdmissionRuntime;
  bus: MemoryBus;
  controllerIdentity: CallerIdentity;
  /** Events that failed every delivery attempt (EventBridge's dead-letter queue). */
  deadLetters: { event: unknown; error: string }[];
  /** Deliveries made so far (including redeliveries and follow-ups). */
  deliveries: number;
  /** Delivers one event like EventBridge: on failure it is retried, up to `maxDeliveries` attempts. */
  deliver(event: unknown): Promise<EventOutcome | undefined>;
  /** Delivers what the simulator emitted until nothing is left (bounded: a loop fails loudly). */
  settle(maxDeliveries?: number): Promise<number>;
  sweep(): Promise<void>;
  decisions(): Decision[];
  report(): ReplayReport;
  close(): Promise<void>;
}

let tableSeq = 0;

/**
 * Starts the whole admission flow locally: ECS simulator (with the account loaded), dynalite with
 * the two tables, and the real runtime whose ECS client signs as the controller's role, so its
 * own calls come back as events exactly as in an account.
 */
export async function startAdmissionReplay(o: AdmissionReplayOptions): Promise<AdmissionReplay> {
  const sim = await startEcsSimulator({
    account: o.account.account,
    region: o.account.region,
    ...(o.faults ? { faults: o.faults } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  loadAccount(sim.state, o.account, sim.user.arn);
  const dynamo = await startLocalDynamo();
  tableSeq += 1;
  const names = { stateTable: `admission-state-${tableSeq}`, indexTable: `admission-index-${tableSeq}` };
  await createAdmissionTables(dynamo.client, names);
  const controllerIdentity = sim.identity('ecs-admission', 'admission');
  const ecsClient = sim.client(controllerIdentity);
  // Throttling and 5xx are retried by the SDK; give it the attempts a Lambda would configure.
  ecsClient.config.maxAttempts = async () => 5;
  const decisions: Decision[] = [];
  const bus = new MemoryBus((entry: BusEntry) => {
    void o.forward?.put([entry]);
    if (entry.detailType === 'ECS Admission Decision') {
      decisions.push(entry.detail as Decision);
      o.onDecision?.(entry.detail as Decision);
    }
  });
  const settings: AdmissionSettings = {
    mode: o.mode ?? 'enforce',
    exclusions: {
      families: [...(o.exclusions?.families ?? [])],
      clusters: [...(o.exclusions?.clusters ?? [])],
      services: [...(o.exclusions?.services ?? [])],
    },
    stateTable: names.stateTable,
    indexTable: names.indexTable,
    busName: 'local',
    ownRoleArns: [controllerIdentity.roleArn ?? controllerIdentity.arn],
    deregisterSource: o.deregisterSource ?? false,
    claimMs: o.claimMs ?? 60_000,
    sweepReserveMs: 1,
    sweepMaxRegistrations: 10_000,
    embed: o.embed ?? resolveEmbedConfig({}),
  };
  const replayKey = randomBytes(32);
  const runtime = createAdmissionRuntime({
    settings,
    ecsClient,
    dynamoClient: dynamo.client,
    bus,
    log: o.log ?? { info: () => undefined },
    resolver: o.resolver,
    ...(o.now ? { now: o.now } : {}),
    tokenFor: o.tokenFor ?? tokenMinter(() => replayKey, o.now ?? Date.now),
    ...(o.policies ? { policies: o.policies } : {}),
    // Backoff is real time in AWS; locally it only slows replays down.
    sleep: async () => undefined,
  });
  const maxDeliveries = o.maxDeliveries ?? 5;
  const replay: AdmissionReplay = {
    sim,
    dynamo,
    runtime,
    bus,
    controllerIdentity,
    deadLetters: [],
    deliveries: 0,
    async deliver(event) {
      for (let attempt = 1; ; attempt++) {
        replay.deliveries += 1;
        try {
          return await runtime.handleEvent(event);
        } catch (error) {
          if (attempt >= maxDeliveries) {
            replay.deadLetters.push({ event, error: error instanceof Error ? error.message : String(error) });
            return undefined;
          }
        }
      }
    },
    async settle(limit = 10_000) {
      let delivered = 0;
      for (let e = sim.events.next(); e !== undefined; e = sim.events.next()) {
        if (++delivered > limit) throw new Error(`events did not settle after ${limit} deliveries (a loop?)`);
        await replay.deliver(e);
      }
      return delivered;
    },
    async sweep() {
      await runtime.sweep(() => Number.POSITIVE_INFINITY);
    },
    decisions: () => [...decisions],
    report() {
      const snap = sim.state.snapshot();
      return {
        taskDefinitions: snap.taskDefinitions,
        services: snap.services,
        decisions: [...decisions],
        apiCalls: { ...sim.apiCalls },
      };
    },
    async close() {
      ecsClient.destroy();
      await sim.close();
      await dynamo.close();
    },
  };
  return replay;
}
