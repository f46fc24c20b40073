import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AdmissionStateStore } from '../aws/admission-state-store.js';
import { EcsAdapter, type EcsAdapterOptions } from '../aws/ecs-adapter.js';
import type { EventBus } from '../aws/event-bus.js';
import { ServiceIndex } from '../aws/service-index.js';
import { embedWithResolver } from '../embed/embed-with-resolver.js';
import type { ImageConfigResolver } from '../embed/image-config.js';
import { waasOptionForTaskDefinition } from '../embed/waas-from-policy.js';
import type { PolicySource } from '../policy/policy-cache.js';
import { AdmissionController, type EventOutcome } from './admission-controller.js';
import { DecisionPublisher, type StructuredLog } from './decision-publisher.js';
import { ServiceFinder } from './service-finder.js';
import type { AdmissionSettings } from './settings.js';
import { runSweep, type SweepResult } from './sweep.js';
import { TwinRegistrar } from './twin-registrar.js';
import { type TokenFor, twinEmbedConfig } from './twin-token.js';

export interface AdmissionRuntimeOptions {
  settings: AdmissionSettings;
  ecsClient: ECSClient;
  dynamoClient: DynamoDBClient;
  bus: EventBus;
  log: StructuredLog;
  /** Registry look-up for containers without `entryPoint`; without it they are rejected with the fix. */
  resolver?: ImageConfigResolver | undefined;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  adapter?: EcsAdapterOptions;
  /** Account this runtime acts in, when one table serves several accounts. */
  account?: string;
  /**
   * Mints each twin's defender token for its account and family (see src/admission/twin-token.ts
   * for the precedence over a configured `token` / `tokenSecretArn`). Without it, and without those,
   * sidecars get no token.
   */
  tokenFor?: TokenFor;
  /**
   * The rules, for the WAAS part of each twin: a task whose containers' policy enables WAAS gets
   * the sidecar on the policy's ports (src/embed/waas-from-policy.ts). Without it, only the embed
   * configuration's `waas` option counts. When the rules cannot be read the event fails and is
   * retried, rather than registering a twin that ignores them.
   */
  policies?: PolicySource;
}

/** Everything the two Lambdas (and `simulate`, and the local stack) run, wired once per container. */
export interface AdmissionRuntime {
  controller: AdmissionController;
  publisher: DecisionPublisher;
  ecs: EcsAdapter;
  state: AdmissionStateStore;
  index: ServiceIndex;
  /** Handles one event, publishes its decisions, and rethrows its failure (EventBridge retries). */
  handleEvent(raw: unknown): Promise<EventOutcome>;
  /** Runs the sweep once and publishes its decisions and summary. */
  sweep(remainingMs: () => number): Promise<SweepResult>;
}

export function createAdmissionRuntime(o: AdmissionRuntimeOptions): AdmissionRuntime {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const s = o.settings;
  const doc = DynamoDBDocumentClient.from(o.dynamoClient, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ecs = new EcsAdapter(o.ecsClient, { sleep, ...o.adapter });
  const state = new AdmissionStateStore(doc, s.stateTable);
  const index = new ServiceIndex(doc, s.indexTable, o.account ?? '');
  const twins = new TwinRegistrar({
    ecs,
    state,
    protect: async (described) => {
      const config = await twinEmbedConfig(
        s.embed,
        {
          sourceArn: described.taskDefinition.taskDefinitionArn ?? '',
          family: described.taskDefinition.family ?? '',
          account: o.account,
        },
        o.tokenFor,
      );
      if (o.policies) {
        const view = await o.policies.current();
        config.waas = waasOptionForTaskDefinition(described.taskDefinition, config, view);
      }
      return embedWithResolver(described, config, o.resolver);
    },
    mode: s.mode,
    exclusions: s.exclusions,
    claimMs: s.claimMs,
    now,
    sleep,
    newOwner: randomUUID,
  });
  const finder = new ServiceFinder(ecs, index, now);
  const controller = new AdmissionController({
    ecs,
    state,
    index,
    twins,
    finder,
    mode: s.mode,
    exclusions: s.exclusions,
    ownRoleArns: s.ownRoleArns,
    ownRoleNames: s.accounts ? [s.accounts.memberRoleName] : [],
    deregisterSource: s.deregisterSource,
    now,
  });
  const publisher = new DecisionPublisher(o.bus, o.log);
  return {
    controller,
    publisher,
    ecs,
    state,
    index,
    async handleEvent(raw) {
      const outcome = await controller.handle(raw);
      await publisher.publish(outcome.decisions);
      if (outcome.error !== undefined) throw outcome.error;
      return outcome;
    },
    async sweep(remainingMs) {
      const result = await runSweep({
        ecs,
        state,
        index,
        controller,
        mode: s.mode,
        remainingMs,
        reserveMs: s.sweepReserveMs,
        maxRegistrations: s.sweepMaxRegistrations,
        now,
      });
      await publisher.publish(result.decisions);
      await publisher.publishSummary(result.summary);
      return result;
    },
  };
}
