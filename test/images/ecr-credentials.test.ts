import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/embed/image-config.js';
import { parseEcrRegistry } from '../../src/images/ecr-registry.js';
import { RegistryAuthError } from '../../src/images/errors.js';
import { RegistryImageResolver } from '../../src/images/registry-resolver.js';
import { fakeFetch, json, recordedImage } from './support/fake-fetch.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ECR_PASSWORD = 'eyJwYXlsb2FkIjoiRUNSLXNlY3JldC10b2tlbi1mb3ItdGVzdHMifQ';
const ecrMock = mockClient(ECRClient);
const secretsMock = mockClient(SecretsManagerClient);

afterEach(() => {
  ecrMock.reset();
  secretsMock.reset();
});

describe('Function: parseEcrRegistry', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', { registryId: '123456789012', region: 'eu-west-1' }],
    [
      '210987654321.dkr.ecr.us-gov-west-1.amazonaws.com',
      { registryId: '210987654321', region: 'us-gov-west-1' },
    ],
    [
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn',
      { registryId: '123456789012', region: 'cn-north-1' },
    ],
    [
      '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com',
      { registryId: '123456789012', region: 'us-east-1' },
    ],
    ['123456789012.dkr-ecr.ap-southeast-2.on.aws', { registryId: '123456789012', region: 'ap-southeast-2' }],
    ['public.ecr.aws', undefined],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example', undefined],
  ])('%s → %j', (host, expected) => {
    expect(parseEcrRegistry(host)).toEqual(expected);
  });
});

describe('Function: RegistryImageResolver.resolve (Amazon ECR private)', () => {
  const host = '210987654321.dkr.ecr.eu-central-1.amazonaws.com';
  const image = recordedImage({
    architecture: 'amd64',
    os: 'linux',
    config: { Entrypoint: ['/app/run'], Cmd: null },
  });

  function ecrRoutes() {
    const basic = `Basic ${Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64')}`;
    const challenge = { 'www-authenticate': `Basic realm="https://${host}/",service="ecr.amazonaws.com"` };
    return fakeFetch({
      [`https://${host}/v2/team/app/manifests/1.4.2`]: (_u, r) =>
        r.authorization === basic
          ? new Response(image.manifestText, {
              headers: { 'content-type': image.mediaType, 'docker-content-digest': image.manifestDigest },
            })
          : json(
              { errors: [{ code: 'DENIED', message: 'Not Authorized' }] },
              { status: 401, headers: challenge },
            ),
      // ECR serves blobs by redirecting to a presigned S3 URL.
      [`https://${host}/v2/team/app/blobs/${image.configDigest}`]: (_u, r) =>
        r.authorization === basic
          ? new Response(null, {
              status: 307,
              headers: {
                location: `https://prod-eu-central-1-starport-layer-bucket.s3.eu-central-1.amazonaws.com/blob?X-Amz-Signature=abc`,
              },
            })
          : json({}, { status: 401, headers: challenge }),
      'https://prod-eu-central-1-starport-layer-bucket.s3.eu-central-1.amazonaws.com/blob': () =>
        new Response(image.configText),
    });
  }

  it('gets a token for the (cross-account) registry id and region, and sends it up front', async () => {
    // Prepare
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64'),
          expiresAt: new Date(Date.now() + 12 * 3600_000),
          proxyEndpoint: `https://${host}`,
        },
      ],
    });
    const regions: string[] = [];
    const { fetchImpl, seen } = ecrRoutes();
    const resolver = new RegistryImageResolver({
      fetchImpl,
      ecrClientFactory: (region) => {
        regions.push(region);
        return new ECRClient({ region });
      },
    });

    // Act
    const resolved = await resolver.resolve(`${host}/team/app:1.4.2`, AMD64);

    // Assess
    expect(resolved.config).toMatchObject({ entrypoint: ['/app/run'], cmd: null });
    expect(regions).toEqual(['eu-central-1']);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)[0]?.args[0].input).toEqual({
      registryIds: ['210987654321'],
    });
    expect(seen.map((r) => new URL(r.url).host)).toEqual([
      host,
      host,
      'prod-eu-central-1-starport-layer-bucket.s3.eu-central-1.amazonaws.com',
    ]);
    expect(seen[0]?.authorization).toMatch(/^Basic /); // no anonymous round trip first
    expect(seen[2]?.authorization).toBeNull(); // credentials never follow a redirect to another origin
  });

  it('reuses the ECR token for later look-ups until shortly before it expires', async () => {
    // Prepare
    let now = Date.parse('2026-01-01T00:00:00Z');
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64'),
          expiresAt: new Date(now + 12 * 3600_000),
        },
      ],
    });
    const { fetchImpl } = ecrRoutes();
    const resolver = new RegistryImageResolver({
      fetchImpl,
      now: () => now,
      tagTtlMs: 0,
      ecrClientFactory: (region) => new ECRClient({ region }),
    });

    // Act
    await resolver.resolve(`${host}/team/app:1.4.2`, AMD64);
    now += 3600_000;
    await resolver.resolve(`${host}/team/app:1.4.2`, AMD64);
    const callsWithinLifetime = ecrMock.commandCalls(GetAuthorizationTokenCommand).length;
    now += 11 * 3600_000;
    await resolver.resolve(`${host}/team/app:1.4.2`, AMD64);

    // Assess
    expect(callsWithinLifetime).toBe(1);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  });

  it('explains a refused GetAuthorizationToken without leaking anything', async () => {
    // Prepare
    const denied = new Error(
      'User: arn:aws:sts::1:assumed-role/x is not authorized to perform: ecr:GetAuthorizationToken',
    );
    denied.name = 'AccessDeniedException';
    ecrMock.on(GetAuthorizationTokenCommand).rejects(denied);
    const { fetchImpl } = ecrRoutes();
    const resolver = new RegistryImageResolver({
      fetchImpl,
      ecrClientFactory: (region) => new ECRClient({ region }),
    });

    // Act
    const act = resolver.resolve(`${host}/team/app:1.4.2`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(RegistryAuthError);
    await expect(act).rejects.toThrow(
      'cannot get an ECR authorization token for registry 210987654321 in eu-central-1 (AccessDeniedException): the caller needs ecr:GetAuthorizationToken',
    );
  });

  it('never sends an ECR token to a mirror of the ECR registry', async () => {
    // Prepare
    const { fetchImpl, seen } = fakeFetch({
      'https://mirror.example.com/v2/team/app/manifests/1.4.2': () =>
        new Response(image.manifestText, { headers: { 'content-type': image.mediaType } }),
      [`https://mirror.example.com/v2/team/app/blobs/${image.configDigest}`]: () =>
        new Response(image.configText),
    });
    const resolver = new RegistryImageResolver({
      fetchImpl,
      registryMirrors: { [host]: 'mirror.example.com' },
      ecrClientFactory: (region) => new ECRClient({ region }),
    });

    // Act
    const resolved = await resolver.resolve(`${host}/team/app:1.4.2`, AMD64);

    // Assess
    expect(resolved.config.entrypoint).toEqual(['/app/run']);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
    expect(seen.every((r) => r.authorization === null)).toBe(true);
  });

  it('says an ECR client is needed when none was given', async () => {
    // Prepare
    const { fetchImpl } = ecrRoutes();

    // Act
    const act = new RegistryImageResolver({ fetchImpl }).resolve(`${host}/team/app:1.4.2`, AMD64);

    // Assess
    await expect(act).rejects.toThrow('this is an Amazon ECR registry, and this look-up has no ECR client');
  });
});

describe('Function: RegistryImageResolver.forContainers (repositoryCredentials from Secrets Manager)', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub-AbCdEf';
  const password = 'dckr_pat_secret-value-for-tests';
  const image = recordedImage({ architecture: 'amd64', os: 'linux', config: { Cmd: ['worker'] } });

  function privateHubRoutes() {
    return fakeFetch({
      'https://registry-1.docker.io/v2/acme/private-worker/manifests/2.0': (_u, r) =>
        r.authorization === 'Bearer acme-token'
          ? new Response(image.manifestText, { headers: { 'content-type': image.mediaType } })
          : json(
              { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
              {
                status: 401,
                headers: {
                  'www-authenticate':
                    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:acme/private-worker:pull"',
                },
              },
            ),
      [`https://registry-1.docker.io/v2/acme/private-worker/blobs/${image.configDigest}`]: () =>
        new Response(image.configText),
      'https://auth.docker.io/token': (_u, r) =>
        r.authorization === `Basic ${Buffer.from(`acme:${password}`).toString('base64')}`
          ? json({ token: 'acme-token', expires_in: 300 })
          : json({ details: 'incorrect username or password' }, { status: 401 }),
    });
  }

  it("reads the container's credentialsParameter secret when allowed, and uses it for the token", async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({
      SecretString: JSON.stringify({ username: 'acme', password }),
    });
    const { fetchImpl, seen } = privateHubRoutes();
    const resolver = new RegistryImageResolver({ fetchImpl, secretsManager: new SecretsManagerClient({}) });
    const resolve = resolver.forContainers([
      { image: 'acme/private-worker:2.0', repositoryCredentials: { credentialsParameter: secretArn } },
    ]);

    // Act
    const config = await resolve('acme/private-worker:2.0', AMD64);

    // Assess
    expect(config.cmd).toEqual(['worker']);
    expect(seen.find((r) => r.url.startsWith('https://auth.docker.io/'))?.url).toContain('account=acme');
  });

  it('does not read the secret when not allowed, and says so in the rejection', async () => {
    // Prepare
    const { fetchImpl } = privateHubRoutes();
    const resolver = new RegistryImageResolver({ fetchImpl });
    const resolve = resolver.forContainers([
      { image: 'acme/private-worker:2.0', repositoryCredentials: { credentialsParameter: secretArn } },
    ]);

    // Act
    const act = resolve('acme/private-worker:2.0', AMD64);

    // Assess
    await expect(act).rejects.toThrow(`repositoryCredentials secret ${secretArn} was not read`);
    expect(secretsMock.calls()).toHaveLength(0);
  });

  it('rejects a malformed secret without quoting its content', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: `{"user":"acme","pass":"${password}"}` });
    const { fetchImpl } = privateHubRoutes();
    const resolver = new RegistryImageResolver({ fetchImpl, secretsManager: new SecretsManagerClient({}) });

    // Act
    const error = await resolver
      .resolve('acme/private-worker:2.0', AMD64, { credentialsParameter: secretArn })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(String(error)).toContain(
      `the repositoryCredentials secret ${secretArn} must be a JSON string like`,
    );
    expect(String(error)).not.toContain(password);
  });
});
