import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/embed/image-config.js';
import {
  DigestMismatchError,
  ImageLookupError,
  ImageNotFoundError,
  RegistryProtocolError,
  RegistryTimeoutError,
  ResponseTooLargeError,
} from '../../src/images/errors.js';
import { RegistryImageResolver, type RegistryResolverOptions } from '../../src/images/registry-resolver.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type LocalRegistry, pushImage, startRegistry } from './support/local-registry.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
// Generous per-request timeout (CI machines are busy); the timeout tests set their own.
const FAST: RegistryResolverOptions = { timeoutMs: 5000, retries: 1, backoffMs: 5 };

function flipLastByte(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  copy[copy.length - 2] = (copy[copy.length - 2] ?? 0) ^ 1;
  return copy;
}

describe('Function: RegistryImageResolver.resolve (failures give clear rejections)', () => {
  let registry: LocalRegistry;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry();
    await Promise.all([
      pushImage(registry.host, 'app/web', 'v1', { entrypoint: ['/web'], cmd: ['--serve'] }),
      pushImage(registry.host, 'app/big-config', 'v1', { cmd: ['x'], padding: 200_000 }),
      pushImage(registry.host, 'app/multi', 'v1', [
        { cmd: ['amd'] },
        { cmd: ['arm'], architecture: 'arm64', variant: 'v8' },
      ]),
    ]);
    proxy = await startFaultProxy(registry.host);
  });

  afterEach(() => {
    proxy.setFault(() => ({ kind: 'pass' }));
  });

  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('passes everything through when nothing is wrong (the proxy itself is sound)', async () => {
    await expect(
      new RegistryImageResolver(FAST).resolve(`${proxy.host}/app/web:v1`, AMD64),
    ).resolves.toMatchObject({
      config: { entrypoint: ['/web'], cmd: ['--serve'] },
    });
  });

  it('reports an unknown tag with the registry reason (404 MANIFEST_UNKNOWN)', async () => {
    // Act
    const error = await new RegistryImageResolver(FAST)
      .resolve(`${registry.host}/app/web:v9`, AMD64)
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as ImageNotFoundError).code).toBe('MANIFEST_UNKNOWN');
    expect(String(error)).toBe(
      `ImageNotFoundError: image "${registry.host}/app/web:v9" (registry ${registry.host}): the registry has no manifest for tag "v9" in repository app/web (HTTP 404: manifest unknown (MANIFEST_UNKNOWN))`,
    );
  });

  it('reports a missing config blob (404 BLOB_UNKNOWN)', async () => {
    // Prepare
    proxy.setFault((path) =>
      path.includes('/blobs/')
        ? {
            kind: 'status',
            status: 404,
            body: JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }),
          }
        : { kind: 'pass' },
    );

    // Act
    const act = new RegistryImageResolver(FAST).resolve(`${proxy.host}/app/web:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(
      /no config blob in repository app\/web \(HTTP 404: blob unknown to registry \(BLOB_UNKNOWN\)\)/,
    );
  });

  it('times out a registry that never answers, after bounded retries', async () => {
    // Prepare
    proxy.setFault((path) => (path.includes('/manifests/') ? { kind: 'hang' } : { kind: 'pass' }));
    const before = proxy.requests.length;

    // Act
    const error = await new RegistryImageResolver({ ...FAST, timeoutMs: 300 })
      .resolve(`${proxy.host}/app/web:v1`, AMD64)
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(RegistryTimeoutError);
    expect(String(error)).toContain(
      'timed out reading the manifest for tag "v1": no answer within 300 ms (after 2 attempts)',
    );
    expect(proxy.requests.length - before).toBe(2);
  });

  it('times out a body that stops arriving after the headers', async () => {
    // Prepare
    proxy.setFault((path) => (path.includes('/manifests/') ? { kind: 'stall-body' } : { kind: 'pass' }));

    // Act
    const act = new RegistryImageResolver({ ...FAST, timeoutMs: 300, retries: 0 }).resolve(
      `${proxy.host}/app/web:v1`,
      AMD64,
    );

    // Assess
    await expect(act).rejects.toThrow(RegistryTimeoutError);
    await expect(act).rejects.toThrow('no answer within 300 ms (after 1 attempt)');
  });

  it('stops at the overall deadline even with retries left', async () => {
    // Prepare
    proxy.setFault(() => ({ kind: 'hang' }));
    const started = Date.now();

    // Act
    const act = new RegistryImageResolver({
      timeoutMs: 5000,
      retries: 5,
      backoffMs: 5,
      deadlineMs: 400,
    }).resolve(`${proxy.host}/app/web:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(RegistryTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('retries 503 with back-off and succeeds when the registry recovers', async () => {
    // Prepare
    proxy.setFault((path, count) =>
      path.endsWith('/manifests/v1') && count <= 2 ? { kind: 'status', status: 503 } : { kind: 'pass' },
    );
    const sleeps: number[] = [];

    // Act
    const resolved = await new RegistryImageResolver({
      retries: 2,
      backoffMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    }).resolve(`${proxy.host}/app/multi:v1`, AMD64);

    // Assess
    expect(resolved.config.cmd).toEqual(['amd']);
    expect(sleeps).toEqual([100, 200]);
  });

  it("waits the registry's Retry-After on 429 instead of its own back-off", async () => {
    // Prepare
    proxy.setFault((path, count) =>
      path.endsWith('/manifests/v1') && count === 1
        ? { kind: 'status', status: 429, headers: { 'retry-after': '1' } }
        : { kind: 'pass' },
    );
    const sleeps: number[] = [];

    // Act
    await new RegistryImageResolver({
      retries: 2,
      backoffMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    }).resolve(`${proxy.host}/app/web:v1`, AMD64);

    // Assess
    expect(sleeps).toEqual([1000]);
  });

  it('gives up on a registry that keeps answering 500, quoting the status', async () => {
    // Prepare
    proxy.setFault(() => ({
      kind: 'status',
      status: 500,
      body: '{"errors":[{"code":"UNKNOWN","message":"boom"}]}',
    }));

    // Act
    const act = new RegistryImageResolver(FAST).resolve(`${proxy.host}/app/web:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(RegistryProtocolError);
    await expect(act).rejects.toThrow(
      'the registry answered HTTP 500 for the manifest for tag "v1": boom (UNKNOWN)',
    );
  });

  it.each([true, false])(
    'refuses a manifest over the size limit (length declared: %s)',
    async (declareLength) => {
      // Prepare
      proxy.setFault((path) =>
        path.includes('/manifests/') ? { kind: 'huge', bytes: 64 * 1024, declareLength } : { kind: 'pass' },
      );

      // Act
      const error = await new RegistryImageResolver({ ...FAST, limits: { manifestBytes: 16 * 1024 } })
        .resolve(`${proxy.host}/app/web:v1`, AMD64)
        .catch((e) => e);

      // Assess
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(String(error)).toContain('is larger than the limit of 16384 bytes');
    },
  );

  it('refuses a config blob the manifest announces as over the limit, before downloading it', async () => {
    // Prepare
    const before = proxy.requests.length;

    // Act
    const error = await new RegistryImageResolver({ ...FAST, limits: { configBytes: 64 * 1024 } })
      .resolve(`${proxy.host}/app/big-config:v1`, AMD64)
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(String(error)).toMatch(/the config blob is \d+ bytes, larger than the limit of 65536 bytes/);
    expect(proxy.requests.slice(before).some((p) => p.includes('/blobs/'))).toBe(false);
  });

  it('detects a config blob altered in transit (digest mismatch)', async () => {
    // Prepare
    proxy.setFault((path) =>
      path.includes('/blobs/') ? { kind: 'tamper', edit: flipLastByte } : { kind: 'pass' },
    );

    // Act
    const error = await new RegistryImageResolver(FAST)
      .resolve(`${proxy.host}/app/web:v1`, AMD64)
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(String(error)).toMatch(
      /the config blob does not match its digest \(expected sha256:[a-f0-9]{64}, content hashes to sha256:[a-f0-9]{64}\)/,
    );
  });

  it('detects a tagged manifest that does not match the digest the registry announces', async () => {
    // Prepare
    proxy.setFault((path) =>
      path.endsWith('/manifests/v1') ? { kind: 'tamper', edit: flipLastByte } : { kind: 'pass' },
    );

    // Act
    const act = new RegistryImageResolver(FAST).resolve(`${proxy.host}/app/web:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(DigestMismatchError);
  });

  it('detects a platform manifest fetched by digest that hashes to something else', async () => {
    // Prepare
    proxy.setFault((path) =>
      path.includes('/manifests/sha256:')
        ? { kind: 'tamper', edit: (b) => Buffer.from(`${b.toString()} `) }
        : { kind: 'pass' },
    );

    // Act
    const act = new RegistryImageResolver(FAST).resolve(`${proxy.host}/app/multi:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(/the manifest sha256:[a-f0-9]{64} does not match its digest/);
  });

  it('never guesses: every failure is an ImageLookupError naming the image', async () => {
    // Prepare
    proxy.setFault(() => ({ kind: 'status', status: 418 }));

    // Act
    const error = await new RegistryImageResolver(FAST)
      .resolve(`${proxy.host}/app/web:v1`, AMD64)
      .catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(ImageLookupError);
    expect((error as ImageLookupError).image).toBe(`${proxy.host}/app/web:v1`);
  });
});
