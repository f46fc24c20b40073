import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { STSClient } from '@aws-sdk/client-sts';
import { AccountClients } from '../aws/assume-role.js';
import { EventBridgeBus } from '../aws/eventbridge-bus.js';
import { createDefaultImageResolver } from '../images/default-resolver.js';
import type { EventOutcome } from './admission-controller.js';
import { type AdmissionRuntime, createAdmissionRuntime } from './admission-runtime.js';
import type { AdmissionSettings } from './settings.js';
import type { SweepResult } from './sweep.js';

/** What the two Lambdas call: events go to the runtime of the account they come from. */
export interface AwsAdmission {
  handleEvent(raw: unknown): Promise<EventOutcome>;
  /** The sweep covers the account the Lambda runs in. */
  sweep(remainingMs: () => number): Promise<SweepResult>;
}

const envelopeAccount = (raw: unknown): { account?: string; region?: string } => {
  const e = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  return {
    ...(typeof e.account === 'string' ? { account: e.account } : {}),
    ...(typeof e.region === 'string' ? { region: e.region } : {}),
  };
};

/**
 * The runtime as the Lambdas build it at cold start: real clients (ECS with more SDK attempts for
 * throttling, since RegisterTaskDefinition sustains about one call per second), the product's bus,
 * the registry look-up for containers without `entryPoint`, and Powertools' logger. With
 * ECS_ADMISSION_ACCOUNT_ID set, an event of a member account is handled with the member role's
 * credentials (src/aws/assume-role.ts), in the event's region.
 */
export function createAwsAdmission(settings: AdmissionSettings, logger: Logger): AwsAdmission {
  const dynamoClient = new DynamoDBClient({});
  const bus = new EventBridgeBus({ busName: settings.busName, client: new EventBridgeClient({}) });
  const resolver = createDefaultImageResolver();
  const log = { info: (message: string, data: Record<string, unknown>) => logger.info(message, data) };
  const build = (ecsClient: ECSClient, account?: string): AdmissionRuntime =>
    createAdmissionRuntime({
      settings,
      ecsClient,
      dynamoClient,
      bus,
      log,
      resolver,
      ...(account ? { account } : {}),
    });
  const own = build(new ECSClient({ maxAttempts: 6 }), settings.accounts?.ownAccount);
  const { accounts } = settings;
  if (!accounts) return { handleEvent: (raw) => own.handleEvent(raw), sweep: (ms) => own.sweep(ms) };

  const clients = new AccountClients<ECSClient>({
    sts: new STSClient({}),
    ownAccount: accounts.ownAccount,
    roleName: accounts.memberRoleName,
    externalId: accounts.externalId,
    makeClient: (o) => new ECSClient({ maxAttempts: 6, ...o }),
  });
  const runtimes = new Map<string, AdmissionRuntime>();
  return {
    async handleEvent(raw) {
      const { account, region } = envelopeAccount(raw);
      if (account === undefined || account === accounts.ownAccount) return own.handleEvent(raw);
      const key = `${account}/${region ?? ''}`;
      let runtime = runtimes.get(key);
      if (!runtime) {
        runtime = build(await clients.clientForAccount(account, region), account);
        runtimes.set(key, runtime);
      }
      return runtime.handleEvent(raw);
    },
    sweep: (ms) => own.sweep(ms),
  };
}
