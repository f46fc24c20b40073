import { createHash } from 'node:crypto';
import {
  DigestMismatchError,
  ImageNotFoundError,
  RegistryAuthError,
  RegistryProtocolError,
} from './errors.js';
import {
  type ImageIndex,
  ImageIndexSchema,
  type ImageManifest,
  ImageManifestSchema,
  MANIFEST_ACCEPT,
} from './manifest-schema.js';
import { isLoopbackHost } from './reference.js';
import { type AuthTarget, type RegistryAuthenticator, registryReason } from './registry-auth.js';
import { type HttpResponse, type HttpSettings, registryGet } from './registry-http.js';

/** A manifest as fetched: its verified digest, its media type and its parsed content. */
export type FetchedManifest =
  | { kind: 'index'; digest: string; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; digest: string; mediaType: string; manifest: ImageManifest };

/** Size limits per kind of response, in bytes. */
export interface RegistryLimits {
  manifestBytes: number;
  configBytes: number;
  tokenBytes: number;
}

/** `sha256:<hex>` (or sha512) of some bytes. */
export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function algorithmOf(digest: string): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/**
 * A client of the OCI Distribution API, for reading only: manifests (by tag or digest) and blobs
 * (by digest). Every blob, and every manifest fetched by digest, is checked against its digest; a
 * manifest fetched by tag is hashed and checked against the digest the registry announces.
 */
export class RegistryClient {
  constructor(
    private readonly http: HttpSettings,
    private readonly auth: RegistryAuthenticator,
    private readonly limits: RegistryLimits,
  ) {}

  /** Fetches a manifest by tag or digest. */
  async manifest(target: AuthTarget, reference: string): Promise<FetchedManifest> {
    const byDigest = reference.includes(':');
    const what = byDigest ? `manifest ${reference}` : `manifest for tag "${reference}"`;
    const response = await this.#get(
      target,
      `manifests/${reference}`,
      MANIFEST_ACCEPT,
      what,
      this.limits.manifestBytes,
    );
    const announced = response.headers.get('docker-content-digest') ?? undefined;
    const expected = byDigest ? reference : announced;
    const actual = digestOf(response.body, expected === undefined ? 'sha256' : algorithmOf(expected));
    if (expected !== undefined && expected !== actual) {
      throw new DigestMismatchError(
        `the ${what} does not match its digest (expected ${expected}, content hashes to ${actual}): the registry or something between served altered content`,
        { ...target.context, expected, actual },
      );
    }
    const digest = actual.startsWith('sha256:') ? actual : digestOf(response.body);
    const body = parseJson(response.body);
    const mediaType =
      (typeof body.mediaType === 'string' ? body.mediaType : undefined) ??
      response.headers.get('content-type')?.split(';')[0]?.trim() ??
      '';
    if (body.schemaVersion === 1) {
      throw new RegistryProtocolError(
        `the ${what} is a Docker v1 schema manifest, which is deprecated and not supported: push the image again with a current client`,
        target.context,
      );
    }
    if (Array.isArray(body.manifests)) {
      const parsed = ImageIndexSchema.safeParse(body);
      if (!parsed.success) throw this.#malformed(target, what, parsed.error.issues[0]?.path);
      return { kind: 'index', digest: byDigest ? reference : digest, mediaType, index: parsed.data };
    }
    const parsed = ImageManifestSchema.safeParse(body);
    if (!parsed.success) throw this.#malformed(target, what, parsed.error.issues[0]?.path);
    return { kind: 'manifest', digest: byDigest ? reference : digest, mediaType, manifest: parsed.data };

    function parseJson(bytes: Uint8Array): Record<string, unknown> {
      try {
        const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          return value as Record<string, unknown>;
        }
      } catch {
        // reported below
      }
      throw new RegistryProtocolError(`the ${what} is not a JSON object`, target.context);
    }
  }

  /** Fetches a blob by digest, within `maxBytes`, and verifies size and digest. */
  async blob(
    target: AuthTarget,
    digest: string,
    size: number,
    what: string,
    maxBytes: number,
  ): Promise<Uint8Array> {
    const response = await this.#get(target, `blobs/${digest}`, '*/*', what, maxBytes);
    const actual = digestOf(response.body, algorithmOf(digest));
    if (actual !== digest) {
      throw new DigestMismatchError(
        `the ${what} does not match its digest (expected ${digest}, content hashes to ${actual}): the registry or something between served altered content`,
        { ...target.context, expected: digest, actual },
      );
    }
    if (response.body.byteLength !== size) {
      throw new RegistryProtocolError(
        `the ${what} is ${response.body.byteLength} bytes but the manifest says ${size}`,
        target.context,
      );
    }
    return response.body;
  }

  #url(target: AuthTarget, path: string): URL {
    const scheme = isLoopbackHost(target.host) ? 'http' : 'https';
    return new URL(`${scheme}://${target.host}/v2/${target.repository}/${path}`);
  }

  async #get(
    target: AuthTarget,
    path: string,
    accept: string,
    what: string,
    maxBytes: number,
  ): Promise<HttpResponse> {
    const url = this.#url(target, path);
    const purpose = { what, maxBytes, context: target.context, deadline: target.deadline };
    let authorization = await this.auth.headerFor(target);
    const usedCached = authorization !== undefined;
    let response = await registryGet(url, withAuth(accept, authorization), purpose, this.http);
    if (response.status === 401) {
      if (usedCached) this.auth.forget(target);
      authorization = await this.auth.answer(response, target, false);
      response = await registryGet(url, withAuth(accept, authorization), purpose, this.http);
      if (response.status === 401) await this.auth.answer(response, target, true);
    }
    if (response.status >= 200 && response.status < 300) return response;
    const reason = registryReason(response, this.http);
    const suffix = reason === '' ? '' : ` ${reason}`;
    if (response.status === 404) {
      const code = /\(([A-Z_]+)\)$/.exec(reason)?.[1];
      throw new ImageNotFoundError(
        `the registry has no ${what} in repository ${target.repository} (HTTP 404${suffix === '' ? '' : `:${suffix}`})`,
        {
          ...target.context,
          ...(code === undefined ? {} : { code }),
        },
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new RegistryAuthError(
        `access to the ${what} was refused (HTTP ${response.status}${suffix === '' ? '' : `:${suffix}`})`,
        {
          ...target.context,
          status: response.status,
        },
      );
    }
    throw new RegistryProtocolError(
      `the registry answered HTTP ${response.status} for the ${what}${suffix === '' ? '' : `:${suffix}`}`,
      {
        ...target.context,
        status: response.status,
      },
    );
  }

  #malformed(
    target: AuthTarget,
    what: string,
    path: readonly PropertyKey[] | undefined,
  ): RegistryProtocolError {
    const where = path === undefined || path.length === 0 ? '' : ` (at ${path.map(String).join('.')})`;
    return new RegistryProtocolError(
      `the ${what} is not a valid image manifest or index${where}`,
      target.context,
    );
  }
}

function withAuth(accept: string, authorization: string | undefined): Record<string, string> {
  return authorization === undefined ? { accept } : { accept, authorization };
}
