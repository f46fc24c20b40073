import type { STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { AdmissionError } from '../admission/errors.js';

/** A 12-digit AWS account ID (`event.account`). */
export const AccountIdSchema = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account ID');

/** Temporary credentials in the shape every SDK v3 client takes (its `AwsCredentialIdentity`). */
export const AccountCredentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1),
  expiration: z.date(),
  accountId: z.string(),
});
export type AccountCredentials = z.infer<typeof AccountCredentialsSchema>;

/** What a client's `credentials` option takes: called again by the SDK before expiry. */
export type AccountCredentialsProvider = () => Promise<AccountCredentials>;

/** What STS must return for the credentials to be usable. */
const AssumedCredentialsSchema = z.object({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  SessionToken: z.string().min(1),
  Expiration: z.date(),
});

/**
 * The member-account role could not be assumed (or cross-account handling is off). The message
 * names the account and the role, never the external ID.
 */
export class AssumeRoleError extends AdmissionError {
  constructor(
    readonly account: string,
    readonly roleArn: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'assume-role', options);
    this.name = 'AssumeRoleError';
  }
}

/**
 * What {@link AccountClients} calls STS with: an `STSClient`, or a stand-in that loads the SDK's
 * STS client on the first AssumeRole, since only events from member accounts need it.
 */
export type StsLike = Pick<STSClient, 'send'>;

/** Options of {@link AccountClients}. */
export interface AccountClientsOptions<C> {
  /** STS client of the controller's own account (the role's credentials come from it). */
  sts: StsLike;
  /** The account the controller runs in: its events use the function's own credentials. */
  ownAccount: string;
  /** Name of the role infra/member-account.yml creates in each member account. */
  roleName: string;
  /** The external ID the member role demands; empty turns cross-account handling off. */
  externalId: string;
  /**
   * Builds a service client; `credentials` is undefined for the own account (default chain), and
   * `region` undefined when the caller did not name one (the client's default region).
   */
  makeClient: (options: { credentials?: AccountCredentialsProvider; region?: string }) => C;
  /** ARN partition of the member accounts (`aws`, `aws-cn`, `aws-us-gov`). */
  partition?: string;
  /** Session name: CloudTrail shows it, so the controller's own calls are recognisable. */
  sessionName?: string;
  /** Lifetime asked of STS, in seconds (the member role allows at most 3600). */
  durationSeconds?: number;
  /**
   * Credentials this close to expiry are renewed. Above the SDK's own 5-minute margin, so that
   * whenever the SDK asks again it gets fresh credentials, not the ones it just found too old.
   */
  refreshBeforeMs?: number;
  /** The clock (ms since the epoch). */
  now?: () => number;
}

interface CachedCredentials {
  credentials: AccountCredentials;
  expiresAt: number;
}

/**
 * Service clients for the accounts events come from: the controller's own credentials for its own
 * account, the member role (AssumeRole with the external ID) for any other. Credentials are cached
 * per account until shortly before they expire, concurrent requests share one AssumeRole call, and
 * a failed call is not cached, so the next event tries again.
 */
export class AccountClients<C> {
  readonly #options: Required<Omit<AccountClientsOptions<C>, 'makeClient' | 'sts'>>;
  readonly #sts: StsLike;
  readonly #makeClient: AccountClientsOptions<C>['makeClient'];
  readonly #credentials = new Map<string, CachedCredentials>();
  readonly #pending = new Map<string, Promise<CachedCredentials>>();
  readonly #clients = new Map<string, C>();

  constructor(options: AccountClientsOptions<C>) {
    this.#sts = options.sts;
    this.#makeClient = options.makeClient;
    if (!AccountIdSchema.safeParse(options.ownAccount).success) {
      throw new AssumeRoleError(
        String(options.ownAccount),
        undefined,
        `ownAccount "${String(options.ownAccount)}" is not a 12-digit account ID (the stack sets it as ECS_ADMISSION_ACCOUNT_ID)`,
      );
    }
    this.#options = {
      ownAccount: options.ownAccount,
      roleName: options.roleName,
      externalId: options.externalId,
      partition: options.partition ?? 'aws',
      sessionName: options.sessionName ?? 'ecs-admission',
      durationSeconds: options.durationSeconds ?? 3600,
      refreshBeforeMs: options.refreshBeforeMs ?? 6 * 60_000,
      now: options.now ?? Date.now,
    };
  }

  /** The role ARN assumed in `account`. */
  roleArnFor(account: string): string {
    return `arn:${this.#options.partition}:iam::${account}:role/${this.#options.roleName}`;
  }

  /**
   * A client acting in `account` (and `region`, when given). For another account the role is
   * assumed before this resolves, so a missing or misconfigured member role fails here, with
   * {@link AssumeRoleError}, rather than on the first ECS call.
   */
  async clientForAccount(account: string, region?: string): Promise<C> {
    const parsed = AccountIdSchema.safeParse(account);
    if (!parsed.success) {
      throw new AssumeRoleError(
        String(account),
        undefined,
        `event.account "${String(account)}" is not an account ID`,
      );
    }
    const key = `${account}/${region ?? ''}`;
    if (account === this.#options.ownAccount) {
      const existing = this.#clients.get(key);
      if (existing) return existing;
      const client = this.#makeClient(region === undefined ? {} : { region });
      this.#clients.set(key, client);
      return client;
    }
    await this.credentialsFor(account);
    // Looked up after the await: a concurrent call for the same account may have built it.
    const existing = this.#clients.get(key);
    if (existing) return existing;
    const client = this.#makeClient({
      credentials: () => this.credentialsFor(account),
      ...(region === undefined ? {} : { region }),
    });
    this.#clients.set(key, client);
    return client;
  }

  /** Credentials of the member role in `account`: cached ones while fresh, else a new AssumeRole. */
  async credentialsFor(account: string): Promise<AccountCredentials> {
    const cached = this.#credentials.get(account);
    if (cached && cached.expiresAt - this.#options.now() > this.#options.refreshBeforeMs) {
      return cached.credentials;
    }
    let pending = this.#pending.get(account);
    if (!pending) {
      pending = this.#assume(account).finally(() => this.#pending.delete(account));
      this.#pending.set(account, pending);
    }
    return (await pending).credentials;
  }

  async #assume(account: string): Promise<CachedCredentials> {
    const roleArn = this.roleArnFor(account);
    if (this.#options.externalId === '') {
      throw new AssumeRoleError(
        account,
        roleArn,
        `an event came from account ${account}, but cross-account handling is off: deploy infra/member-account.yml there and set memberExternalId`,
      );
    }
    let output: unknown;
    try {
      // Loaded here, not at import: a cold start of an account without member events never needs it.
      const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
      const response = await this.#sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.#options.sessionName,
          ExternalId: this.#options.externalId,
          DurationSeconds: this.#options.durationSeconds,
        }),
      );
      output = response.Credentials;
    } catch (error) {
      const code = error instanceof Error ? error.name : 'Error';
      throw new AssumeRoleError(
        account,
        roleArn,
        `could not assume ${roleArn} (${code}): is infra/member-account.yml deployed in ${account} with this stage's external ID?`,
        { cause: error },
      );
    }
    const parsed = AssumedCredentialsSchema.safeParse(output);
    if (!parsed.success) {
      throw new AssumeRoleError(account, roleArn, `STS returned no usable credentials for ${roleArn}`);
    }
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = parsed.data;
    const entry: CachedCredentials = {
      credentials: {
        accessKeyId: AccessKeyId,
        secretAccessKey: SecretAccessKey,
        sessionToken: SessionToken,
        expiration: Expiration,
        accountId: account,
      },
      expiresAt: Expiration.getTime(),
    };
    this.#credentials.set(account, entry);
    return entry;
  }
}
