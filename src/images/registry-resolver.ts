import { z } from 'zod';
import {
  type ImageConfig,
  type ImageConfigResolver,
  ImageConfigSchema,
  type Platform,
} from '../embed/image-config.js';
import type { EcrClientFactory, EcrCredentials } from './ecr-credentials.js';
import { parseEcrRegistry } from './ecr-registry.js';
import {
  PlatformNotFoundError,
  RegistryAuthError,
  RegistryProtocolError,
  ResponseTooLargeError,
} from './errors.js';
import { ExpiringCache } from './image-cache.js';
import { ImageConfigBlobSchema, MEDIA_TYPES } from './manifest-schema.js';
import { formatPlatform, selectPlatformEntry } from './platform.js';
import { SecretRedactor } from './redact.js';
import {
  apiHost,
  canonicalReference,
  type ImageReference,
  parseImageReference,
  repositoryName,
} from './reference.js';
import {
  type AuthTarget,
  type CredentialProvider,
  type CredentialRequest,
  RegistryAuthenticator,
  type RegistryCredentials,
} from './registry-auth.js';
import { type FetchedManifest, RegistryClient, type RegistryLimits } from './registry-client.js';
import type { HttpSettings, ImageLookupLogger } from './registry-http.js';
import type { SecretsManagerLike } from './repository-credentials.js';

/** Everything a resolver can be given; every field has a safe default. */
export interface RegistryResolverOptions {
  /** `fetch` to use (tests pass a fake). */
  fetchImpl?: typeof fetch;
  /** Per request attempt (default 10 s). */
  timeoutMs?: number;
  /** Whole look-up of one image, retries included (default 30 s). */
  deadlineMs?: number;
  /** Retries after network errors, timeouts, 429 and 5xx (default 2). */
  retries?: number;
  /** First back-off delay, doubled each retry (default 250 ms). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Size limits (defaults: manifest 4 MiB, config 8 MiB, token 1 MiB). */
  limits?: Partial<RegistryLimits>;
  /** Clock for cache and token lifetimes (milliseconds). */
  now?: () => number;
  /** How long a tag → digest answer is reused (default 60 s; 0 disables). */
  tagTtlMs?: number;
  /** Entries kept per cache (default 1000). */
  cacheEntries?: number;
  /**
   * Registry to host overrides: `{ "docker.io": "127.0.0.1:5000" }` sends Docker Hub look-ups to a
   * mirror (pull-through cache, air-gapped copy; the tests' local registry). Repository paths are
   * kept.
   */
  registryMirrors?: Record<string, string>;
  /** Extra credentials (e.g. from the CLI), asked after ECR and repositoryCredentials. */
  credentials?: CredentialProvider;
  /** Makes the ECR client of a region; needed for ECR private registries. */
  ecrClientFactory?: EcrClientFactory;
  /**
   * A Secrets Manager client: when given, containers' `repositoryCredentials` secrets are read.
   * Leave unset where the caller may not read them; private registries then answer 401.
   */
  secretsManager?: SecretsManagerLike;
  logger?: ImageLookupLogger;
}

/** What one look-up found: the configuration and where it came from (the CLI prints this). */
export const ResolvedImageSchema = z.object({
  image: z.string(),
  reference: z.string(),
  registry: z.string(),
  repository: z.string(),
  tag: z.string().optional(),
  /** The digest the reference resolves to (an index for multi-platform images): what pinning uses. */
  digest: z.string(),
  /** The digest of the platform's image manifest (equal to `digest` for single-platform images). */
  manifestDigest: z.string(),
  mediaType: z.string(),
  platform: z.string(),
  /** OS/architecture the configuration blob declares. */
  configPlatform: z.string(),
  config: ImageConfigSchema,
  fromCache: z.boolean(),
});
export type ResolvedImage = z.infer<typeof ResolvedImageSchema>;

/** Per look-up extras. */
export interface ResolveOptions {
  /** The container's `repositoryCredentials.credentialsParameter`. */
  credentialsParameter?: string | undefined;
}

const DEFAULT_LIMITS: RegistryLimits = { manifestBytes: 4 << 20, configBytes: 8 << 20, tokenBytes: 1 << 20 };
const CONFIG_MEDIA_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
// Repository credentials may rotate; re-read them after a few minutes.
const SECRET_TTL_MS = 5 * 60_000;

type Cached = Omit<ResolvedImage, 'image' | 'fromCache' | 'tag' | 'reference'>;

/**
 * Reads images' ENTRYPOINT and CMD from their registries (OCI Distribution API): ECR private (via
 * GetAuthorizationToken), ECR Public, Docker Hub, GHCR, Quay and any registry with token or basic
 * auth. Caches configurations by digest and tags for `tagTtlMs`; concurrent look-ups of one image
 * share one request.
 */
export class RegistryImageResolver {
  readonly #client: RegistryClient;
  readonly #byDigest: ExpiringCache<Cached>;
  readonly #byTag: ExpiringCache<string>;
  readonly #indexes: ExpiringCache<FetchedManifest>;
  readonly #inFlight = new Map<string, Promise<ResolvedImage>>();
  readonly #options: RegistryResolverOptions;
  readonly #secretCache: ExpiringCache<Promise<RegistryCredentials>>;
  readonly #limits: RegistryLimits;
  #ecr: Promise<EcrCredentials> | undefined;

  constructor(options: RegistryResolverOptions = {}) {
    this.#options = options;
    const now = options.now ?? Date.now;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    const http: HttpSettings = {
      fetchImpl: options.fetchImpl ?? fetch,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 2,
      backoffMs: options.backoffMs ?? 250,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      logger: options.logger,
      redactor: new SecretRedactor(),
    };
    const auth = new RegistryAuthenticator(
      http,
      (r) => this.#credentialsFor(r),
      this.#limits.tokenBytes,
      now,
    );
    this.#client = new RegistryClient(http, auth, this.#limits);
    const entries = options.cacheEntries ?? 1000;
    this.#byDigest = new ExpiringCache(entries, Number.POSITIVE_INFINITY, now);
    this.#byTag = new ExpiringCache(entries, options.tagTtlMs ?? 60_000, now);
    this.#indexes = new ExpiringCache(entries, Number.POSITIVE_INFINITY, now);
    this.#secretCache = new ExpiringCache(entries, SECRET_TTL_MS, now);
  }

  /** The resolver in the shape the embed transform takes. */
  readonly resolveConfig: ImageConfigResolver = async (image, platform, options) =>
    (await this.resolve(image, platform, { credentialsParameter: options?.credentialsParameter })).config;

  /**
   * A resolver for one task definition's containers: each image is looked up with its container's
   * `repositoryCredentials` (when this resolver may read secrets).
   */
  forContainers(
    containers: readonly {
      image?: string | undefined;
      repositoryCredentials?: { credentialsParameter?: string } | undefined;
    }[],
  ): ImageConfigResolver {
    const secrets = new Map<string, string>();
    for (const c of containers) {
      const parameter = c.repositoryCredentials?.credentialsParameter;
      if (c.image !== undefined && parameter !== undefined && !secrets.has(c.image))
        secrets.set(c.image, parameter);
    }
    return async (image, platform) =>
      (await this.resolve(image, platform, { credentialsParameter: secrets.get(image) })).config;
  }

  /**
   * Looks an image up for a platform.
   * @throws ImageLookupError (a subclass) with a message naming the image, the registry and the reason.
   */
  async resolve(image: string, platform: Platform, options: ResolveOptions = {}): Promise<ResolvedImage> {
    const ref = parseImageReference(image);
    const key = `${canonicalReference(ref)}|${formatPlatform(platform)}|${options.credentialsParameter ?? ''}`;
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const started = this.#lookUp(ref, platform, options).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  async #lookUp(ref: ImageReference, platform: Platform, options: ResolveOptions): Promise<ResolvedImage> {
    const platformKey = formatPlatform(platform);
    const tagKey = `${repositoryName(ref)}:${ref.tag ?? ''}`;
    const known = ref.digest ?? this.#byTag.get(tagKey);
    const finish = (cached: Cached, fromCache: boolean): ResolvedImage => ({
      ...cached,
      image: ref.original,
      reference: canonicalReference(ref),
      ...(ref.tag === undefined ? {} : { tag: ref.tag }),
      fromCache,
    });
    if (known !== undefined) {
      const hit = this.#byDigest.get(`${repositoryName(ref)}@${known}|${platformKey}`);
      if (hit !== undefined) return finish(hit, true);
    }

    const host = this.#options.registryMirrors?.[ref.registry] ?? apiHost(ref.registry);
    const target: AuthTarget = {
      host,
      registry: ref.registry,
      repository: ref.repository,
      credentialsParameter: options.credentialsParameter,
      context: { image: ref.original, registry: host },
      deadline: Date.now() + (this.#options.deadlineMs ?? 30_000),
    };
    const top =
      (known === undefined ? undefined : this.#indexes.get(`${repositoryName(ref)}@${known}`)) ??
      (await this.#client.manifest(target, known ?? ref.tag ?? 'latest'));
    if (ref.digest === undefined) this.#byTag.set(tagKey, top.digest);
    if (top.kind === 'index') this.#indexes.set(`${repositoryName(ref)}@${top.digest}`, top);
    const digestKey = `${repositoryName(ref)}@${top.digest}|${platformKey}`;
    const hit = this.#byDigest.get(digestKey);
    if (hit !== undefined) return finish(hit, true);

    let manifest = top;
    if (top.kind === 'index') {
      const entry = selectPlatformEntry(top.index.manifests, platform);
      if (entry === undefined) {
        const available = top.index.manifests
          .filter((m) => m.platform !== undefined && m.platform.os !== 'unknown')
          .map((m) => formatPlatform(m.platform ?? {}));
        throw new PlatformNotFoundError(
          `the image has no manifest for ${platformKey} (it has: ${available.join(', ') || 'none'}); build the image for ${platformKey} or set the task's runtimePlatform.cpuArchitecture to match`,
          { ...target.context, available },
        );
      }
      manifest = await this.#client.manifest(target, entry.digest);
      if (manifest.kind !== 'manifest') {
        throw new RegistryProtocolError(
          `the ${platformKey} entry of the image index is itself an index; nested indexes are not supported`,
          target.context,
        );
      }
    }
    if (manifest.kind !== 'manifest') throw new Error('unreachable: index handled above');

    const configDescriptor = manifest.manifest.config;
    if (!CONFIG_MEDIA_TYPES.has(configDescriptor.mediaType)) {
      throw new RegistryProtocolError(
        `this is not a container image: its config has media type ${configDescriptor.mediaType}`,
        target.context,
      );
    }
    if (configDescriptor.size > this.#limits.configBytes) {
      throw new ResponseTooLargeError(
        `the config blob is ${configDescriptor.size} bytes, larger than the limit of ${this.#limits.configBytes} bytes; refusing to read it`,
        { ...target.context, limit: this.#limits.configBytes },
      );
    }
    const bytes = await this.#client.blob(
      target,
      configDescriptor.digest,
      configDescriptor.size,
      'config blob',
      this.#limits.configBytes,
    );
    let blob: z.infer<typeof ImageConfigBlobSchema>;
    try {
      blob = ImageConfigBlobSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
    } catch {
      throw new RegistryProtocolError(
        'the config blob is not a valid image configuration (Entrypoint and Cmd must be lists of strings)',
        target.context,
      );
    }
    const config: ImageConfig = {
      entrypoint: blob.config?.Entrypoint ?? null,
      cmd: blob.config?.Cmd ?? null,
      digest: top.digest,
      ...(blob.config?.WorkingDir ? { workingDir: blob.config.WorkingDir } : {}),
      ...(blob.config?.User ? { user: blob.config.User } : {}),
    };
    const cached: Cached = {
      registry: ref.registry,
      repository: ref.repository,
      digest: top.digest,
      manifestDigest: manifest.digest,
      mediaType: manifest.mediaType,
      platform: platformKey,
      configPlatform: formatPlatform(blob),
      config,
    };
    this.#byDigest.set(digestKey, cached);
    return finish(cached, false);
  }

  async #credentialsFor(request: CredentialRequest): Promise<RegistryCredentials | undefined> {
    const context = { image: request.image, registry: request.registry };
    // A mirror is another server: the original registry's ECR token or secret must not reach it.
    if (this.#options.registryMirrors?.[request.registry] !== undefined)
      return this.#options.credentials?.(request);
    const ecr = parseEcrRegistry(request.registry);
    if (ecr !== undefined) {
      const factory = this.#options.ecrClientFactory;
      if (factory === undefined) {
        throw new RegistryAuthError(
          'this is an Amazon ECR registry, and this look-up has no ECR client to get a token with',
          context,
        );
      }
      this.#ecr ??= import('./ecr-credentials.js').then(
        (m) => new m.EcrCredentials(factory, this.#options.now),
      );
      return (await this.#ecr).credentialsFor(ecr, request.image, request.registry);
    }
    const secretsManager = this.#options.secretsManager;
    const parameter = request.credentialsParameter;
    if (parameter !== undefined && secretsManager !== undefined) {
      let pending = this.#secretCache.get(parameter);
      if (pending === undefined) {
        pending = import('./repository-credentials.js').then((m) =>
          m.readRepositoryCredentials(secretsManager, parameter, context),
        );
        this.#secretCache.set(parameter, pending);
        // A failed read (throttling, permissions being fixed) is retried on the next look-up.
        pending.catch(() => this.#secretCache.delete(parameter));
      }
      return pending;
    }
    return this.#options.credentials?.(request);
  }
}

/** A resolver with the given options, in the shape the embed transform takes. */
export function createImageConfigResolver(options: RegistryResolverOptions = {}): ImageConfigResolver {
  return new RegistryImageResolver(options).resolveConfig;
}
