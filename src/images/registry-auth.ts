import { z } from 'zod';
import { type ImageErrorContext, RegistryAuthError, RegistryProtocolError } from './errors.js';
import { type HttpResponse, type HttpSettings, registryGet } from './registry-http.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

/** A user name and password (or token) for a registry. Never logged, never in a message. */
export interface RegistryCredentials {
  username: string;
  password: string;
  /**
   * Send Basic auth on the first request instead of waiting for the challenge: ECR always demands
   * it, so this saves a round trip.
   */
  preemptive?: boolean;
}

/** Who is asking for credentials: the registry, the repository and the container's own secret, if any. */
export interface CredentialRequest {
  /** The image as written (for messages). */
  image: string;
  registry: string;
  repository: string;
  /** The container's `repositoryCredentials.credentialsParameter`, when it has one. */
  credentialsParameter?: string | undefined;
}

/** Finds credentials for a registry; `undefined` means go anonymous. */
export type CredentialProvider = (request: CredentialRequest) => Promise<RegistryCredentials | undefined>;

const TokenResponseSchema = z.looseObject({
  token: z.string().min(1).optional(),
  access_token: z.string().min(1).optional(),
  expires_in: z.number().positive().optional(),
});

// Registries that omit expires_in mean 60 s (Docker's token spec); renew a little early.
const DEFAULT_TOKEN_SECONDS = 60;
const EARLY_RENEWAL_MS = 10_000;

interface CachedToken {
  value: string;
  expiresAt: number;
}

type Scheme = { kind: 'basic' } | { kind: 'bearer'; tokenKey: string };

/** What the authenticator needs about one look-up. */
export interface AuthTarget {
  /** Host spoken to (after any mirror mapping). */
  host: string;
  /** Logical registry of the reference (what credentials are looked up for). */
  registry: string;
  repository: string;
  credentialsParameter?: string | undefined;
  context: ImageErrorContext;
  deadline: number;
}

/** Parses the registry's error body into one short reason: `manifest unknown (MANIFEST_UNKNOWN)`. */
export function registryReason(response: HttpResponse, settings: HttpSettings): string {
  const text = Buffer.from(response.body).toString('utf8');
  let reason = '';
  try {
    const parsed = JSON.parse(text) as {
      errors?: { code?: unknown; message?: unknown }[];
      details?: unknown;
    };
    const first = parsed.errors?.[0];
    if (first !== undefined) {
      const message = typeof first.message === 'string' ? first.message : '';
      const code = typeof first.code === 'string' ? first.code : '';
      reason = message !== '' && code !== '' ? `${message} (${code})` : message || code;
    } else if (typeof parsed.details === 'string') {
      reason = parsed.details;
    }
  } catch {
    reason = /^[\x20-\x7e\s]*$/.test(text) ? text.trim() : '';
  }
  const short = reason.length > 200 ? `${reason.slice(0, 200)}...` : reason;
  return settings.redactor.redact(short);
}

/**
 * Answers registry challenges as Docker does: on 401 it reads `WWW-Authenticate`; for `Bearer` it
 * asks the realm for a pull token for the repository (anonymously, or with Basic credentials when
 * there are some), for `Basic` it sends the credentials. Tokens are cached until shortly before
 * they expire, and the scheme that worked is reused for the next request to the same repository.
 */
export class RegistryAuthenticator {
  readonly #tokens = new Map<string, CachedToken>();
  readonly #schemes = new Map<string, Scheme>();

  constructor(
    private readonly settings: HttpSettings,
    private readonly provider: CredentialProvider,
    private readonly maxTokenBytes: number,
    private readonly now: () => number,
  ) {}

  /** The Authorization header to send up front, if a scheme is known for this repository. */
  async headerFor(target: AuthTarget): Promise<string | undefined> {
    const scheme = this.#schemes.get(this.#schemeKey(target));
    if (scheme?.kind === 'bearer') {
      const token = this.#tokens.get(scheme.tokenKey);
      if (token !== undefined && token.expiresAt > this.now()) return `Bearer ${token.value}`;
      return undefined;
    }
    const credentials = await this.#credentialsFor(target);
    if (scheme?.kind === 'basic' || credentials?.preemptive === true) {
      return credentials === undefined ? undefined : basicHeader(credentials);
    }
    return undefined;
  }

  /**
   * Works out the Authorization header after a 401. Throws RegistryAuthError when the challenge
   * cannot be met (no credentials for Basic, token service refusal).
   */
  async answer(response: HttpResponse, target: AuthTarget, sentAuthorization: boolean): Promise<string> {
    const header = response.headers.get('www-authenticate') ?? '';
    const challenges = parseWwwAuthenticate(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const credentials = await this.#credentialsFor(target);
    if (bearer?.params.realm !== undefined) {
      const token = await this.#fetchToken(bearer.params, target, credentials, sentAuthorization);
      return `Bearer ${token}`;
    }
    if (basic !== undefined) {
      if (credentials === undefined) {
        throw new RegistryAuthError(
          `the registry requires a user name and password (HTTP 401, Basic auth)${this.#credentialHint(target)}`,
          { ...target.context, status: 401 },
        );
      }
      if (sentAuthorization && this.#schemes.get(this.#schemeKey(target))?.kind === 'basic') {
        throw new RegistryAuthError(
          `the registry refused the credentials (HTTP 401${reasonSuffix(registryReason(response, this.settings))})`,
          { ...target.context, status: 401 },
        );
      }
      this.#schemes.set(this.#schemeKey(target), { kind: 'basic' });
      return basicHeader(credentials);
    }
    throw new RegistryAuthError(
      `the registry answered HTTP 401 without a challenge this client understands${reasonSuffix(registryReason(response, this.settings))}`,
      { ...target.context, status: 401 },
    );
  }

  /** Forgets the scheme of a repository (after its credentials or token were refused). */
  forget(target: AuthTarget): void {
    const scheme = this.#schemes.get(this.#schemeKey(target));
    if (scheme?.kind === 'bearer') this.#tokens.delete(scheme.tokenKey);
    this.#schemes.delete(this.#schemeKey(target));
  }

  #schemeKey(target: AuthTarget): string {
    return `${target.host}/${target.repository}|${target.credentialsParameter ?? ''}`;
  }

  #credentialHint(target: AuthTarget): string {
    return target.credentialsParameter === undefined
      ? ': give the container repositoryCredentials, or configure credentials for this registry'
      : `: the container's repositoryCredentials secret ${target.credentialsParameter} was not read (reading repository credentials is not enabled for this look-up)`;
  }

  // Not cached here: ECR tokens expire and secrets rotate; the providers cache with lifetimes.
  async #credentialsFor(target: AuthTarget): Promise<RegistryCredentials | undefined> {
    const credentials = await this.provider({
      image: target.context.image,
      registry: target.registry,
      repository: target.repository,
      credentialsParameter: target.credentialsParameter,
    });
    if (credentials !== undefined) {
      this.settings.redactor.add(credentials.password);
      this.settings.redactor.add(`${credentials.username}:${credentials.password}`);
    }
    return credentials;
  }

  async #fetchToken(
    params: Record<string, string>,
    target: AuthTarget,
    credentials: RegistryCredentials | undefined,
    sentAuthorization: boolean,
  ): Promise<string> {
    const realm = params.realm ?? '';
    let url: URL;
    try {
      url = new URL(realm);
    } catch (cause) {
      throw new RegistryProtocolError('the registry named a token service that is not a valid URL', {
        ...target.context,
        cause,
      });
    }
    const scope = `repository:${target.repository}:pull`;
    if (params.service !== undefined) url.searchParams.set('service', params.service);
    url.searchParams.append('scope', scope);
    if (params.scope !== undefined && params.scope !== scope) url.searchParams.append('scope', params.scope);
    const tokenKey = `${url.href}|${credentials?.username ?? ''}`;
    const cached = this.#tokens.get(tokenKey);
    if (cached !== undefined && cached.expiresAt > this.now() && !sentAuthorization) return cached.value;
    if (sentAuthorization && this.#schemes.get(this.#schemeKey(target))?.kind === 'bearer') {
      throw new RegistryAuthError(
        credentials === undefined
          ? `access denied: the repository does not exist or needs credentials${this.#credentialHint(target)}`
          : 'access denied: the credentials do not grant pull access to this repository',
        { ...target.context, status: 401 },
      );
    }

    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials !== undefined) {
      headers.authorization = basicHeader(credentials);
      url.searchParams.set('account', credentials.username);
    }
    const response = await registryGet(
      url,
      headers,
      { what: 'token', maxBytes: this.maxTokenBytes, context: target.context, deadline: target.deadline },
      this.settings,
    );
    if (response.status === 401 || response.status === 403) {
      throw new RegistryAuthError(
        `the token service ${url.host} refused ${credentials === undefined ? 'an anonymous pull token' : 'the credentials'} (HTTP ${response.status}${reasonSuffix(registryReason(response, this.settings))})${credentials === undefined ? this.#credentialHint(target) : ''}`,
        { ...target.context, status: response.status },
      );
    }
    if (response.status !== 200) {
      throw new RegistryProtocolError(
        `the token service ${url.host} answered HTTP ${response.status}${reasonSuffix(registryReason(response, this.settings))}`,
        { ...target.context, status: response.status },
      );
    }
    let parsed: z.infer<typeof TokenResponseSchema>;
    try {
      parsed = TokenResponseSchema.parse(JSON.parse(Buffer.from(response.body).toString('utf8')));
    } catch {
      throw new RegistryProtocolError(
        `the token service ${url.host} did not answer a JSON token`,
        target.context,
      );
    }
    const value = parsed.token ?? parsed.access_token;
    if (value === undefined) {
      throw new RegistryProtocolError(
        `the token service ${url.host} answered without a token`,
        target.context,
      );
    }
    this.settings.redactor.add(value);
    const lifetimeMs = (parsed.expires_in ?? DEFAULT_TOKEN_SECONDS) * 1000;
    this.#tokens.set(tokenKey, {
      value,
      expiresAt: this.now() + Math.max(lifetimeMs - EARLY_RENEWAL_MS, lifetimeMs / 2),
    });
    this.#schemes.set(this.#schemeKey(target), { kind: 'bearer', tokenKey });
    return value;
  }
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function reasonSuffix(reason: string): string {
  return reason === '' ? '' : `: ${reason}`;
}
