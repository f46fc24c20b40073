import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/embed/image-config.js';
import { PlatformNotFoundError } from '../../src/images/errors.js';
import { createImageConfigResolver, RegistryImageResolver } from '../../src/images/registry-resolver.js';
import { type LocalRegistry, pushImage, startRegistry } from './support/local-registry.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

/** fetch that counts the requests it makes, per path kind. */
function countingFetch() {
  const calls: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  return { calls, fetchImpl };
}

describe('Function: RegistryImageResolver.resolve (real registry on loopback)', () => {
  let registry: LocalRegistry;
  let host: string;

  beforeAll(async () => {
    registry = await startRegistry();
    host = registry.host;
    await Promise.all([
      pushImage(host, 'shapes/entrypoint-only', 'v1', { entrypoint: ['/usr/local/bin/server'] }),
      pushImage(host, 'shapes/cmd-only', 'v1', { cmd: ['nginx', '-g', 'daemon off;'] }),
      pushImage(host, 'shapes/both', 'v1', {
        entrypoint: ['/docker-entrypoint.sh'],
        cmd: ['postgres'],
        workingDir: '/srv',
        user: '1000:1000',
      }),
      pushImage(host, 'shapes/neither', 'v1', {}),
      pushImage(host, 'shapes/empty', 'v1', { entrypoint: [], cmd: [] }),
      pushImage(host, 'shapes/shell-form', 'v1', {
        entrypoint: ['/bin/sh', '-c', 'exec /app/server --port "$PORT"'],
      }),
      pushImage(host, 'shapes/multi', 'v1', [
        { entrypoint: ['/amd64/app'], architecture: 'amd64' },
        { entrypoint: ['/arm64/app'], architecture: 'arm64', variant: 'v8' },
      ]),
      pushImage(
        host,
        'shapes/multi-docker',
        'v1',
        [
          { cmd: ['amd'], architecture: 'amd64' },
          { cmd: ['arm'], architecture: 'arm64', variant: 'v8' },
        ],
        { format: 'v2s2' },
      ),
      pushImage(host, 'shapes/amd64-only-index', 'v1', [{ cmd: ['amd'], architecture: 'amd64' }]),
      pushImage(
        host,
        'shapes/docker-format',
        'v1',
        { entrypoint: ['/bin/docker-format'] },
        { format: 'v2s2' },
      ),
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it.each([
    ['entrypoint-only', { entrypoint: ['/usr/local/bin/server'], cmd: null }],
    ['cmd-only', { entrypoint: null, cmd: ['nginx', '-g', 'daemon off;'] }],
    [
      'both',
      { entrypoint: ['/docker-entrypoint.sh'], cmd: ['postgres'], workingDir: '/srv', user: '1000:1000' },
    ],
    ['neither', { entrypoint: null, cmd: null }],
    ['empty', { entrypoint: [], cmd: [] }],
    ['shell-form', { entrypoint: ['/bin/sh', '-c', 'exec /app/server --port "$PORT"'], cmd: null }],
  ])('reads the %s image exactly, null and [] kept apart', async (name, expected) => {
    // Prepare
    const resolver = createImageConfigResolver();

    // Act
    const config = await resolver(`${host}/shapes/${name}:v1`, AMD64);

    // Assess
    const { digest, ...rest } = config;
    expect(rest).toEqual(expected);
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('reads OCI and Docker v2 schema 2 images alike, reporting the media type', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();

    // Act
    const oci = await resolver.resolve(`${host}/shapes/both:v1`, AMD64);
    const docker = await resolver.resolve(`${host}/shapes/docker-format:v1`, AMD64);

    // Assess
    expect(oci.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(docker.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(docker.config.entrypoint).toEqual(['/bin/docker-format']);
  });

  it.each([
    ['multi', AMD64, ['/amd64/app'], null],
    ['multi', ARM64, ['/arm64/app'], null],
    ['multi', { os: 'linux', architecture: 'arm64' } as Platform, ['/arm64/app'], null],
    ['multi-docker', AMD64, null, ['amd']],
    ['multi-docker', ARM64, null, ['arm']],
  ])('chooses the %s index entry for %j', async (name, platform, entrypoint, cmd) => {
    // Prepare
    const resolver = new RegistryImageResolver();

    // Act
    const resolved = await resolver.resolve(`${host}/shapes/${name}:v1`, platform);

    // Assess
    expect(resolved.config.entrypoint).toEqual(entrypoint);
    expect(resolved.config.cmd).toEqual(cmd);
    expect(resolved.configPlatform).toBe(
      platform.architecture === 'arm64' ? 'linux/arm64/v8' : 'linux/amd64',
    );
    // The reported digest is the index's (what pinning uses); the platform manifest differs.
    expect(resolved.digest).not.toBe(resolved.manifestDigest);
    expect(resolved.config.digest).toBe(resolved.digest);
  });

  it('rejects a platform the index lacks, listing what it has', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();

    // Act
    const act = resolver.resolve(`${host}/shapes/amd64-only-index:v1`, ARM64);

    // Assess
    await expect(act).rejects.toThrow(PlatformNotFoundError);
    await expect(act).rejects.toThrow(/no manifest for linux\/arm64\/v8 \(it has: linux\/amd64\)/);
  });

  it('resolves by digest and by tag@digest to the same configuration', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const byTag = await resolver.resolve(`${host}/shapes/multi:v1`, ARM64);

    // Act
    const byDigest = await new RegistryImageResolver().resolve(`${host}/shapes/multi@${byTag.digest}`, ARM64);
    const byBoth = await new RegistryImageResolver().resolve(
      `${host}/shapes/multi:ignored@${byTag.digest}`,
      ARM64,
    );

    // Assess
    expect(byDigest.config).toEqual(byTag.config);
    expect(byBoth.config).toEqual(byTag.config);
    expect(byBoth.digest).toBe(byTag.digest);
  });

  it('answers a repeated look-up from the cache without any request', async () => {
    // Prepare
    const { calls, fetchImpl } = countingFetch();
    const resolver = new RegistryImageResolver({ fetchImpl });
    await resolver.resolve(`${host}/shapes/multi:v1`, AMD64);
    const cold = calls.length;

    // Act
    const again = await resolver.resolve(`${host}/shapes/multi:v1`, AMD64);

    // Assess
    expect(cold).toBe(3); // index, platform manifest, config blob
    expect(calls.length).toBe(cold);
    expect(again.fromCache).toBe(true);
  });

  it('asks for the tag again once its lifetime passes, but not for the config of a known digest', async () => {
    // Prepare
    let now = 0;
    const { calls, fetchImpl } = countingFetch();
    const resolver = new RegistryImageResolver({ fetchImpl, now: () => now, tagTtlMs: 60_000 });
    await resolver.resolve(`${host}/shapes/both:v1`, AMD64);
    const cold = calls.length;

    // Act
    now += 60_001;
    const later = await resolver.resolve(`${host}/shapes/both:v1`, AMD64);

    // Assess
    expect(calls.length - cold).toBe(1);
    expect(calls.at(-1)).toContain('/manifests/v1');
    expect(later.fromCache).toBe(true);
  });

  it('shares one look-up between concurrent callers', async () => {
    // Prepare
    const { calls, fetchImpl } = countingFetch();
    const resolver = new RegistryImageResolver({ fetchImpl });

    // Act
    const results = await Promise.all(
      [1, 2, 3].map(() => resolver.resolve(`${host}/shapes/cmd-only:v1`, AMD64)),
    );

    // Assess
    expect(calls.length).toBe(2);
    expect(new Set(results.map((r) => r.digest)).size).toBe(1);
  });

  it('sends a mapped registry to a mirror, keeping the repository path', async () => {
    // Prepare
    await pushImage(host, 'library/nginx', '1.25', { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx'] });
    const resolver = new RegistryImageResolver({ registryMirrors: { 'docker.io': host } });

    // Act
    const resolved = await resolver.resolve('nginx:1.25', AMD64);

    // Assess
    expect(resolved.reference).toBe('docker.io/library/nginx:1.25');
    expect(resolved.config.cmd).toEqual(['nginx']);
  });
});
