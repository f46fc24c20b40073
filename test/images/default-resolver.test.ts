import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createDefaultImageResolver } from '../../src/images/default-resolver.js';
import { fakeFetch, recordedImage } from './support/fake-fetch.js';

const secretsMock = mockClient(SecretsManagerClient);
afterEach(() => secretsMock.reset());

describe('Function: createDefaultImageResolver', () => {
  it('builds its resolver on the first look-up and reuses it (and its cache) afterwards', async () => {
    // Prepare
    const image = recordedImage({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/x'], Cmd: [] },
    });
    const { fetchImpl, seen } = fakeFetch({
      'https://registry.example.com/v2/app/manifests/1': () =>
        new Response(image.manifestText, { headers: { 'content-type': image.mediaType } }),
      [`https://registry.example.com/v2/app/blobs/${image.configDigest}`]: () =>
        new Response(image.configText),
    });
    const resolve = createDefaultImageResolver({ fetchImpl });

    // Act
    const first = await resolve('registry.example.com/app:1', { os: 'linux', architecture: 'amd64' });
    const second = await resolve('registry.example.com/app:1', { os: 'linux', architecture: 'amd64' });

    // Assess
    expect(first).toEqual({ entrypoint: ['/x'], cmd: [], digest: image.manifestDigest });
    expect(second).toEqual(first);
    expect(seen).toHaveLength(2);
  });

  it("reads a container's repositoryCredentials secret from Secrets Manager and logs in with it", async () => {
    // Prepare
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:registry-AbCdEf';
    const password = 's3cret-registry-password';
    secretsMock
      .on(GetSecretValueCommand, { SecretId: secretArn })
      .resolves({ SecretString: JSON.stringify({ username: 'acme', password }) });
    const image = recordedImage({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/srv'], Cmd: null },
    });
    const expected = `Basic ${Buffer.from(`acme:${password}`).toString('base64')}`;
    const guarded = (body: () => Response) => (_url: URL, request: { authorization: string | null }) =>
      request.authorization === expected
        ? body()
        : new Response('', { status: 401, headers: { 'www-authenticate': 'Basic realm="registry"' } });
    const { fetchImpl } = fakeFetch({
      'https://registry.example.com/v2/team/app/manifests/1': guarded(
        () => new Response(image.manifestText, { headers: { 'content-type': image.mediaType } }),
      ),
      [`https://registry.example.com/v2/team/app/blobs/${image.configDigest}`]: guarded(
        () => new Response(image.configText),
      ),
    });
    const resolve = createDefaultImageResolver({ fetchImpl });

    // Act
    const config = await resolve(
      'registry.example.com/team/app:1',
      { os: 'linux', architecture: 'amd64' },
      { credentialsParameter: secretArn },
    );

    // Assess
    expect(config.entrypoint).toEqual(['/srv']);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});
