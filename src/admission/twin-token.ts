import type { EmbedConfig } from '../embed/config.js';
import { mintDefenderToken, type SigningKey } from '../policy/defender-token.js';
import { AdmissionError } from './errors.js';

/**
 * Mints the defender token of one account and task family. The admission runtime builds it from
 * the policy service's signing key (AWS: loaded once per cold start; locally: the local stack's key).
 */
export type TokenFor = (account: string, family: string) => string | Promise<string>;

/**
 * A {@link TokenFor} signing with the first key `keys` yields (the one that mints, see
 * src/policy/signing-key.ts), at the injected clock's time. `keys` is called per token, so a
 * caller can hand in a cached loader.
 */
export function tokenMinter(
  keys: () => SigningKey | readonly SigningKey[] | Promise<SigningKey | readonly SigningKey[]>,
  now: () => number,
  ttlSeconds?: number,
): TokenFor {
  return async (account, family) => {
    const loaded = await keys();
    const key = Array.isArray(loaded) ? (loaded as readonly SigningKey[])[0] : (loaded as SigningKey);
    if (key === undefined) throw new AdmissionError('no signing key to mint defender tokens with', 'token');
    return mintDefenderToken(
      { account, family, now: now(), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) },
      key,
    );
  };
}

/** The account in a task-definition ARN (`arn:aws:ecs:REGION:ACCOUNT:task-definition/...`). */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

/** Where one twin runs: the source revision's account and family. */
export interface TwinTarget {
  sourceArn: string;
  family: string;
  /** The runtime's account, used only when the ARN names none (it always does in ECS). */
  account?: string | undefined;
}

/**
 * The embed configuration of one protected twin. Precedence: a literal `token` in the configuration,
 * then `tokenSecretArn` (one account-wide token injected through `secrets`), then a token minted
 * here for exactly the twin's account and family. Without any of them the configuration is returned
 * as is (settings refuse that combination at start-up unless the mode is `off`).
 * @throws AdmissionError when the account cannot be told, or what minting throws.
 */
export async function twinEmbedConfig(
  base: EmbedConfig,
  target: TwinTarget,
  tokenFor: TokenFor | undefined,
): Promise<EmbedConfig> {
  if (base.token !== undefined || base.tokenSecretArn !== undefined || tokenFor === undefined) return base;
  const account = accountOfArn(target.sourceArn) ?? target.account;
  if (account === undefined) {
    throw new AdmissionError(
      `cannot tell the account of ${target.sourceArn} to mint its defender token for`,
      'token',
    );
  }
  return { ...base, token: await tokenFor(account, target.family) };
}
