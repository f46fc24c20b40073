import { describe, expect, it } from 'vitest';
import type { Platform } from '../../src/embed/image-config.js';
import { RegistryAuthError, RegistryProtocolError } from '../../src/images/errors.js';
import { RegistryImageResolver } from '../../src/images/registry-resolver.js';
import { fakeFetch, json, recordedImage, sha256 } from './support/fake-fetch.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

/** A multi-platform image as Docker Hub serves `library/nginx`: an OCI index with an attestation entry. */
function recordedNginx() {
  const amd = recordedImage(
    {
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], WorkingDir: '' },
    },
    'application/vnd.oci.image.manifest.v1+json',
  );
  const arm = recordedImage(
    {
      architecture: 'arm64',
      variant: 'v8',
      os: 'linux',
      config: { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx'] },
    },
    'application/vnd.oci.image.manifest.v1+json',
  );
  const indexText = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: amd.mediaType,
        digest: amd.manifestDigest,
        size: amd.manifestText.length,
        platform: { architecture: 'amd64', os: 'linux' },
      },
      {
        mediaType: arm.mediaType,
        digest: arm.manifestDigest,
        size: arm.manifestText.length,
        platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256('attestation'),
        size: 11,
        platform: { architecture: 'unknown', os: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
    ],
  });
  return { amd, arm, indexText, indexDigest: sha256(indexText) };
}

/** Routes of a registry with Docker's token flow: 401 + Bearer challenge until the right token is sent. */
function tokenRegistry(options: {
  api: string;
  realm: string;
  service: string;
  scope?: string;
  repo: string;
  tag: string;
  token: string;
}) {
  const nginx = recordedNginx();
  const challenge = `Bearer realm="${options.realm}",service="${options.service}"${options.scope === undefined ? '' : `,scope="${options.scope}"`}`;
  const guarded = (body: () => Response) => (_u: URL, r: { authorization: string | null }) =>
    r.authorization === `Bearer ${options.token}`
      ? body()
      : json(
          { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
          { status: 401, headers: { 'www-authenticate': challenge } },
        );
  const base = `https://${options.api}/v2/${options.repo}`;
  const manifest = (text: string, type: string) => () =>
    new Response(text, { headers: { 'content-type': type, 'docker-content-digest': sha256(text) } });
  return {
    nginx,
    ...fakeFetch({
      [`${base}/manifests/${options.tag}`]: guarded(
        manifest(nginx.indexText, 'application/vnd.oci.image.index.v1+json'),
      ),
      [`${base}/manifests/${nginx.indexDigest}`]: guarded(
        manifest(nginx.indexText, 'application/vnd.oci.image.index.v1+json'),
      ),
      [`${base}/manifests/${nginx.amd.manifestDigest}`]: guarded(
        manifest(nginx.amd.manifestText, nginx.amd.mediaType),
      ),
      [`${base}/manifests/${nginx.arm.manifestDigest}`]: guarded(
        manifest(nginx.arm.manifestText, nginx.arm.mediaType),
      ),
      [`${base}/blobs/${nginx.amd.configDigest}`]: guarded(() => new Response(nginx.amd.configText)),
      [`${base}/blobs/${nginx.arm.configDigest}`]: guarded(() => new Response(nginx.arm.configText)),
      [options.realm]: (url) =>
        url.searchParams.get('service') === options.service &&
        url.searchParams.getAll('scope').includes(`repository:${options.repo}:pull`)
          ? json({
              token: options.token,
              access_token: options.token,
              expires_in: 300,
              issued_at: '2026-01-01T00:00:00Z',
            })
          : json({ details: 'bad scope' }, { status: 400 }),
    }),
  };
}

describe('Function: RegistryImageResolver.resolve (public registries, recorded responses)', () => {
  it('follows Docker Hub: library/ name, registry-1.docker.io, anonymous token from auth.docker.io', async () => {
    // Prepare
    const { fetchImpl, seen, nginx } = tokenRegistry({
      api: 'registry-1.docker.io',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/nginx:pull',
      repo: 'library/nginx',
      tag: '1.27',
      token: 'hub-anonymous-token',
    });
    const resolver = new RegistryImageResolver({ fetchImpl });

    // Act
    const amd = await resolver.resolve('nginx:1.27', AMD64);
    const arm = await resolver.resolve('nginx:1.27', ARM64);

    // Assess
    expect(amd.config).toEqual({
      entrypoint: ['/docker-entrypoint.sh'],
      cmd: ['nginx', '-g', 'daemon off;'],
      digest: nginx.indexDigest,
    });
    expect(arm.config.cmd).toEqual(['nginx']);
    expect(arm.manifestDigest).toBe(nginx.arm.manifestDigest);
    // The index is immutable: the second platform reuses it rather than fetching it by digest.
    expect(seen.filter((r) => r.url.includes(`/manifests/${nginx.indexDigest}`))).toHaveLength(0);
    const tokenRequests = seen.filter((r) => r.url.startsWith('https://auth.docker.io/token'));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.authorization).toBeNull();
    expect(new URL(tokenRequests[0]?.url ?? '').searchParams.get('service')).toBe('registry.docker.io');
    expect(seen[0]?.accept).toContain('application/vnd.oci.image.index.v1+json');
    expect(seen[0]?.accept).toContain('application/vnd.docker.distribution.manifest.v2+json');
  });

  it.each([
    [
      'ECR Public',
      'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0',
      'public.ecr.aws',
      'https://public.ecr.aws/token',
      'public.ecr.aws',
      'aws',
      'aws-observability/aws-otel-collector',
      'v0.40.0',
    ],
    [
      'GHCR',
      'ghcr.io/acme/tool:main',
      'ghcr.io',
      'https://ghcr.io/token',
      'ghcr.io',
      'repository:acme/tool:pull',
      'acme/tool',
      'main',
    ],
    [
      'Quay',
      'quay.io/prometheus/node-exporter:v1.8.0',
      'quay.io',
      'https://quay.io/v2/auth',
      'quay.io',
      undefined,
      'prometheus/node-exporter',
      'v1.8.0',
    ],
  ])('follows the %s token flow', async (_name, image, api, realm, service, scope, repo, tag) => {
    // Prepare
    const { fetchImpl, seen } = tokenRegistry({
      api,
      realm,
      service,
      scope,
      repo,
      tag,
      token: `${api}-token`,
    });

    // Act
    const resolved = await new RegistryImageResolver({ fetchImpl }).resolve(image, AMD64);

    // Assess
    expect(resolved.config.entrypoint).toEqual(['/docker-entrypoint.sh']);
    expect(seen.filter((r) => r.url.startsWith(realm))).toHaveLength(1);
  });

  it('renews an expired token instead of failing', async () => {
    // Prepare
    let now = 0;
    const { fetchImpl, seen } = tokenRegistry({
      api: 'ghcr.io',
      realm: 'https://ghcr.io/token',
      service: 'ghcr.io',
      repo: 'acme/tool',
      tag: 'main',
      token: 'ghcr-token',
    });
    const resolver = new RegistryImageResolver({ fetchImpl, now: () => now, tagTtlMs: 0 });
    await resolver.resolve('ghcr.io/acme/tool:main', AMD64);

    // Act
    now += 301_000;
    await resolver.resolve('ghcr.io/acme/tool:main', AMD64);

    // Assess
    expect(seen.filter((r) => r.url.startsWith('https://ghcr.io/token'))).toHaveLength(2);
  });

  it('refuses a token realm that is plain HTTP on a public host', async () => {
    // Prepare
    const { fetchImpl } = fakeFetch({
      'https://registry.example.com/v2/app/manifests/latest': () =>
        json(
          {},
          {
            status: 401,
            headers: { 'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="x"' },
          },
        ),
    });

    // Act
    const act = new RegistryImageResolver({ fetchImpl }).resolve('registry.example.com/app', AMD64);

    // Assess
    await expect(act).rejects.toThrow(RegistryProtocolError);
    await expect(act).rejects.toThrow('refusing to use http://auth.example.com: only HTTPS is allowed');
  });

  it('refuses a redirect to plain HTTP on a public host', async () => {
    // Prepare
    const { fetchImpl, seen } = fakeFetch({
      'https://registry.example.com/v2/app/manifests/latest': () =>
        new Response(null, { status: 302, headers: { location: 'http://cdn.example.com/m' } }),
    });

    // Act
    const act = new RegistryImageResolver({ fetchImpl }).resolve('registry.example.com/app', AMD64);

    // Assess
    await expect(act).rejects.toThrow('refusing to use http://cdn.example.com');
    expect(seen.map((r) => r.url)).toEqual(['https://registry.example.com/v2/app/manifests/latest']);
  });

  it('keeps a token that a registry echoes in its error out of the message', async () => {
    // Prepare
    const token = 'eyJhbGciOiJSUzI1NiJ9.very-secret-token-payload.signature';
    const { fetchImpl } = fakeFetch({
      'https://registry.example.com/v2/app/manifests/latest': (_u, r) =>
        r.authorization === null
          ? json(
              {},
              {
                status: 401,
                headers: { 'www-authenticate': 'Bearer realm="https://registry.example.com/token"' },
              },
            )
          : json(
              {
                errors: [
                  { code: 'DENIED', message: `token ${token} has no access (you sent ${r.authorization})` },
                ],
              },
              { status: 403 },
            ),
      'https://registry.example.com/token': () => json({ token }),
    });

    // Act
    const error = await new RegistryImageResolver({ fetchImpl })
      .resolve('registry.example.com/app', AMD64)
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(String(error)).toContain('HTTP 403');
    expect(String(error)).not.toContain('very-secret-token-payload');
  });

  it('rejects a Docker v1 schema manifest with the fix', async () => {
    // Prepare
    const { fetchImpl } = fakeFetch({
      'https://registry.example.com/v2/old/manifests/latest': () =>
        json({ schemaVersion: 1, name: 'old', tag: 'latest', fsLayers: [] }),
    });

    // Act
    const act = new RegistryImageResolver({ fetchImpl }).resolve('registry.example.com/old', AMD64);

    // Assess
    await expect(act).rejects.toThrow('Docker v1 schema manifest, which is deprecated and not supported');
  });

  it('rejects an artifact that is not a container image', async () => {
    // Prepare
    const text = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha256('{}'), size: 2 },
      layers: [],
    });
    const { fetchImpl } = fakeFetch({
      'https://registry.example.com/v2/chart/manifests/1.0': () => new Response(text),
    });

    // Act
    const act = new RegistryImageResolver({ fetchImpl }).resolve('registry.example.com/chart:1.0', AMD64);

    // Assess
    await expect(act).rejects.toThrow(
      'this is not a container image: its config has media type application/vnd.cncf.helm.config.v1+json',
    );
  });
});
