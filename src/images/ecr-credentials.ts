import { GetAuthorizationTokenCommand, type GetAuthorizationTokenCommandOutput } from '@aws-sdk/client-ecr';
import type { EcrRegistry } from './ecr-registry.js';
import { RegistryAuthError } from './errors.js';
import type { RegistryCredentials } from './registry-auth.js';

/** The one call the look-up makes to ECR; an `ECRClient` is one. */
export interface EcrTokenClient {
  send(command: GetAuthorizationTokenCommand): Promise<GetAuthorizationTokenCommandOutput>;
}

/** Makes an ECR client for a region (the caller decides credentials, retries, endpoint). */
export type EcrClientFactory = (region: string) => EcrTokenClient;

// ECR tokens live 12 hours; renew well before, so a token never expires mid look-up.
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * Credentials for ECR private registries from GetAuthorizationToken, per region and registry id
 * (so cross-account pulls ask for the other account's registry; its repository policy must allow
 * the caller). Tokens are cached until shortly before they expire.
 */
export class EcrCredentials {
  readonly #cache = new Map<string, { credentials: RegistryCredentials; expiresAt: number }>();

  constructor(
    private readonly clientFor: EcrClientFactory,
    private readonly now: () => number = Date.now,
  ) {}

  async credentialsFor(ecr: EcrRegistry, image: string, registry: string): Promise<RegistryCredentials> {
    const key = `${ecr.region}/${ecr.registryId}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.credentials;
    let token: string | undefined;
    let expiresAt: Date | undefined;
    try {
      const output = await this.clientFor(ecr.region).send(
        // registryIds is the only way to get a token for another account's registry.
        new GetAuthorizationTokenCommand({ registryIds: [ecr.registryId] }),
      );
      token = output.authorizationData?.[0]?.authorizationToken;
      expiresAt = output.authorizationData?.[0]?.expiresAt;
    } catch (cause) {
      const name = cause instanceof Error ? cause.name : 'Error';
      throw new RegistryAuthError(
        `cannot get an ECR authorization token for registry ${ecr.registryId} in ${ecr.region} (${name}): the caller needs ecr:GetAuthorizationToken`,
        { image, registry, cause: cause instanceof Error ? new Error(cause.name) : undefined },
      );
    }
    const decoded = token === undefined ? '' : Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new RegistryAuthError(
        `ECR returned no usable authorization token for registry ${ecr.registryId}`,
        {
          image,
          registry,
        },
      );
    }
    const credentials = {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      preemptive: true,
    };
    this.#cache.set(key, {
      credentials,
      expiresAt: (expiresAt?.getTime() ?? this.now() + 60 * 60_000) - RENEW_BEFORE_MS,
    });
    return credentials;
  }
}
