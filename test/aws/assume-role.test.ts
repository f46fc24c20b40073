import { ECSClient } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AccountClients,
  type AccountCredentialsProvider,
  AssumeRoleError,
} from '../../src/aws/assume-role.js';

const OWN = '111122223333';
const MEMBER = '444455556666';
const OTHER = '777788889999';
const EXTERNAL_ID = 'stage-external-id-0123456789';

const stsMock = mockClient(STSClient);

afterEach(() => {
  stsMock.reset();
});

/** A fake service client that records how it was built. */
interface FakeClient {
  credentials?: AccountCredentialsProvider;
  region?: string;
}

function setup(options: { externalId?: string; start?: number } = {}) {
  let now = options.start ?? Date.parse('2026-01-01T00:00:00Z');
  const built: FakeClient[] = [];
  const clients = new AccountClients<FakeClient>({
    sts: new STSClient({ region: 'eu-west-1' }),
    ownAccount: OWN,
    roleName: 'ecs-admission-member',
    externalId: options.externalId ?? EXTERNAL_ID,
    makeClient: (opts) => {
      const client = { ...opts };
      built.push(client);
      return client;
    },
    now: () => now,
  });
  return { clients, built, advance: (ms: number) => (now += ms), at: () => now };
}

function credentialsUntil(expiration: number, key = 'ASIAEXAMPLE') {
  return {
    Credentials: {
      AccessKeyId: key,
      SecretAccessKey: 'secret',
      SessionToken: 'session',
      Expiration: new Date(expiration),
    },
  };
}

describe('Function: AccountClients.clientForAccount', () => {
  it('uses the function’s own credentials for its own account, without STS', async () => {
    // Prepare
    const { clients, built } = setup();

    // Act
    const client = await clients.clientForAccount(OWN);

    // Assess
    expect(client.credentials).toBeUndefined();
    expect(built).toHaveLength(1);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('assumes the member role with the external ID for another account', async () => {
    // Prepare
    const { clients, at } = setup();
    stsMock.on(AssumeRoleCommand).resolves(credentialsUntil(at() + 3_600_000));

    // Act
    const client = await clients.clientForAccount(MEMBER, 'eu-central-1');
    const credentials = await client.credentials?.();

    // Assess
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: `arn:aws:iam::${MEMBER}:role/ecs-admission-member`,
      RoleSessionName: 'ecs-admission',
      ExternalId: EXTERNAL_ID,
      DurationSeconds: 3600,
    });
    expect(client.region).toBe('eu-central-1');
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAEXAMPLE',
      sessionToken: 'session',
      accountId: MEMBER,
    });
  });

  it('reuses the client and the credentials while they are fresh', async () => {
    // Prepare
    const { clients, built, advance, at } = setup();
    stsMock.on(AssumeRoleCommand).resolves(credentialsUntil(at() + 3_600_000));

    // Act
    const first = await clients.clientForAccount(MEMBER);
    advance(50 * 60_000);
    const second = await clients.clientForAccount(MEMBER);
    await second.credentials?.();

    // Assess
    expect(second).toBe(first);
    expect(built).toHaveLength(1);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('renews the credentials shortly before they expire', async () => {
    // Prepare
    const { clients, advance, at } = setup();
    stsMock
      .on(AssumeRoleCommand)
      .resolvesOnce(credentialsUntil(at() + 3_600_000, 'ASIAFIRST'))
      .resolvesOnce(credentialsUntil(at() + 2 * 3_600_000, 'ASIASECOND'));
    const client = await clients.clientForAccount(MEMBER);

    // Act
    advance(3_600_000 - 5 * 60_000);
    const renewed = await client.credentials?.();

    // Assess
    expect(renewed?.accessKeyId).toBe('ASIASECOND');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('shares one AssumeRole call among concurrent requests for an account', async () => {
    // Prepare
    const { clients, at } = setup();
    stsMock.on(AssumeRoleCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return credentialsUntil(at() + 3_600_000);
    });

    // Act
    const results = await Promise.all([
      clients.clientForAccount(MEMBER),
      clients.clientForAccount(MEMBER),
      clients.credentialsFor(MEMBER),
    ]);

    // Assess
    expect(results[0]).toBe(results[1]);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('keeps accounts and regions apart', async () => {
    // Prepare
    const { clients, built, at } = setup();
    stsMock.on(AssumeRoleCommand).resolves(credentialsUntil(at() + 3_600_000));

    // Act
    await clients.clientForAccount(MEMBER, 'eu-west-1');
    await clients.clientForAccount(MEMBER, 'us-east-1');
    await clients.clientForAccount(OTHER, 'eu-west-1');

    // Assess
    expect(built.map((c) => c.region)).toEqual(['eu-west-1', 'us-east-1', 'eu-west-1']);
    expect(stsMock.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      `arn:aws:iam::${MEMBER}:role/ecs-admission-member`,
      `arn:aws:iam::${OTHER}:role/ecs-admission-member`,
    ]);
  });

  it('fails naming the account and role, never the external ID, and tries again next time', async () => {
    // Prepare
    const { clients, at } = setup();
    const denied = Object.assign(new Error(`not authorized (external id ${EXTERNAL_ID})`), {
      name: 'AccessDenied',
    });
    stsMock
      .on(AssumeRoleCommand)
      .rejectsOnce(denied)
      .resolves(credentialsUntil(at() + 3_600_000));

    // Act
    const failure = await clients.clientForAccount(MEMBER).catch((error: unknown) => error);
    const retried = await clients.clientForAccount(MEMBER);

    // Assess
    expect(failure).toBeInstanceOf(AssumeRoleError);
    expect((failure as AssumeRoleError).message).toContain(
      `arn:aws:iam::${MEMBER}:role/ecs-admission-member`,
    );
    expect((failure as AssumeRoleError).message).toContain('AccessDenied');
    expect((failure as AssumeRoleError).message).not.toContain(EXTERNAL_ID);
    expect((failure as AssumeRoleError).account).toBe(MEMBER);
    expect(retried.credentials).toBeDefined();
  });

  it('refuses other accounts when cross-account handling is off', async () => {
    // Prepare
    const { clients } = setup({ externalId: '' });

    // Act
    const failure = await clients.clientForAccount(MEMBER).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(AssumeRoleError);
    expect((failure as Error).message).toContain('cross-account handling is off');
    expect(stsMock.calls()).toHaveLength(0);
  });

  it('rejects an account ID that is not one', async () => {
    // Prepare
    const { clients } = setup();

    // Act
    const failure = await clients.clientForAccount('12345').catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(AssumeRoleError);
    expect((failure as Error).message).toContain('"12345"');
  });

  it('refuses to start without its own account ID, naming the setting', () => {
    // Act
    const build = () =>
      new AccountClients<FakeClient>({
        sts: new STSClient({ region: 'eu-west-1' }),
        ownAccount: '',
        roleName: 'ecs-admission-member',
        externalId: EXTERNAL_ID,
        makeClient: (opts) => ({ ...opts }),
      });

    // Assess
    expect(build).toThrow(AssumeRoleError);
    expect(build).toThrow(/ECS_ADMISSION_ACCOUNT_ID/);
  });

  it('rejects an STS answer without usable credentials', async () => {
    // Prepare
    const { clients } = setup();
    stsMock.on(AssumeRoleCommand).resolves({});

    // Act
    const failure = await clients.clientForAccount(MEMBER).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(AssumeRoleError);
    expect((failure as Error).message).toContain('no usable credentials');
  });

  it('builds real ECS clients that sign with the member credentials', async () => {
    // Prepare
    const start = Date.now();
    stsMock.on(AssumeRoleCommand).resolves(credentialsUntil(start + 3_600_000, 'ASIAMEMBER'));
    const clients = new AccountClients<ECSClient>({
      sts: new STSClient({ region: 'eu-west-1' }),
      ownAccount: OWN,
      roleName: 'ecs-admission-member',
      externalId: EXTERNAL_ID,
      makeClient: (opts) => new ECSClient({ region: 'eu-west-1', ...opts }),
    });

    // Act
    const ecs = await clients.clientForAccount(MEMBER);
    const credentials = await ecs.config.credentials();

    // Assess
    expect(credentials.accessKeyId).toBe('ASIAMEMBER');
  });
});
