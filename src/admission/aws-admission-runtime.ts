import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import { AccountClients, type StsLike } from '../aws/assume-role.js';
import { EventBridgeBus } from '../aws/eventbridge-bus.js';
import { createDefaultImageResolver } from '../images/default-resolver.js';
import type { SigningKey } from '../policy/defender-token.js';
import type { PolicyCache, PolicySource } from '../policy/policy-cache.js';
import { loadSigningKeysFromSecret } from '../policy/signing-key.js';
import type { EventOutcome } from './admission-controller.js';
import { type AdmissionRuntime, createAdmissionRuntime } from './admission-runtime.js';
import type { AdmissionSettings } from './settings.js';
import type { SweepResult } from './sweep.js';
import { type TokenFor, tokenMinter } from './twin-token.js';

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
 * The rules as the policy service reads them (a version check at most every 5 s, the rules only
 * when they change), loaded with the first twin: most events register none, and a cold start need
 * not import the rules' schemas.
 */
export function rulesTableSource(tableName: string, client: DynamoDBClient): PolicySource {
  let cache: Promise<PolicyCache> | undefined;
  return {
    async current() {
      cache ??= Promise.all([import('../policy/policy-cache.js'), import('../policy/rules-store.js')]).then(
        ([{ PolicyCache: Cache }, { DynamoRulesStore }]) =>
          new Cache({ store: new DynamoRulesStore({ tableName, client }) }),
      );
      return (await cache).current();
    },
  };
}

/** What {@link createAwsAdmission} reaches outside the process with, replaceable in tests. */
export interface AwsAdmissionDeps {
  secretsClient?: SecretsManagerClient;
  now?: () => number;
}

/**
 * Loads the signing keys on first use and keeps them for the container's life (one
 * GetSecretValue per cold start). A failed load is not kept: the next event tries again.
 */
export function cachedSigningKeys(load: () => Promise<SigningKey[]>): () => Promise<SigningKey[]> {
  let keys: Promise<SigningKey[]> | undefined;
  return () => {
    keys ??= load().catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return keys;
  };
}

/**
 * The runtime as the Lambdas build it at cold start: real clients (ECS with more SDK attempts for
 * throttling, since RegisterTaskDefinition sustains about one call per second), the product's bus,
 * the registry look-up for containers without `entryPoint`, and Powertools' logger. With
 * ECS_ADMISSION_ACCOUNT_ID set, an event of a member account is handled with the member role's
 * credentials (src/aws/assume-role.ts), in the event's region. Each twin gets a defender token
 * minted for its own account (a member account's twins get the member account's) and family,
 * signed with the key of ECS_ADMISSION_SIGNING_KEY_SECRET_ARN, read lazily once per cold start.
 */
export function createAwsAdmission(
  settings: AdmissionSettings,
  logger: Logger,
  deps: AwsAdmissionDeps = {},
): AwsAdmission {
  const secretId = settings.signingKeySecretArn;
  const tokenFor: TokenFor | undefined =
    secretId === undefined
      ? undefined
      : tokenMinter(
          cachedSigningKeys(() => loadSigningKeysFromSecret(secretId, deps.secretsClient)),
          deps.now ?? Date.now,
        );
  const dynamoClient = new DynamoDBClient({});
  const bus = new EventBridgeBus({ busName: settings.busName, client: new EventBridgeClient({}) });
  const resolver = createDefaultImageResolver();
  const log = { info: (message: string, data: Record<string, unknown>) => logger.info(message, data) };
  const policies =
    settings.rulesTable === undefined ? undefined : rulesTableSource(settings.rulesTable, dynamoClient);
  const build = (ecsClient: ECSClient, account?: string): AdmissionRuntime =>
    createAdmissionRuntime({
      settings,
      ecsClient,
      dynamoClient,
      bus,
      log,
      resolver,
      ...(account ? { account } : {}),
      ...(tokenFor ? { tokenFor } : {}),
      ...(policies ? { policies } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
  const own = build(new ECSClient({ maxAttempts: 6 }), settings.accounts?.ownAccount);
  const { accounts } = settings;
  if (!accounts) return { handleEvent: (raw) => own.handleEvent(raw), sweep: (ms) => own.sweep(ms) };

  // The STS client loads with the first event from a member account: the sweep and events of the
  // own account never assume a role, and a cold start need not pay for it.
  let stsClient: Promise<STSClient> | undefined;
  const sts: StsLike = {
    async send(command) {
      stsClient ??= import('@aws-sdk/client-sts').then((m) => new m.STSClient({}));
      return (await stsClient).send(command);
    },
  };
  const clients = new AccountClients<ECSClient>({
    sts,
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
