import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TokenError } from './errors.js';

/**
 * Defender tokens: minted at embed time for one account and task family, put in the sidecar's
 * environment, and presented as `Authorization: Bearer TOKEN` to `GET /v1/policy` and
 * `POST /v1/audits`. Format: `eadt1.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`, the MAC taken
 * over `eadt1.<claims>` with a key only the policy service (and the minting controller) holds.
 */
export const TOKEN_PREFIX = 'eadt1';

export const DefenderTokenClaimsSchema = z
  .object({
    /** AWS account the task runs in (12 digits). */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account ID'),
    /**
     * ECS task family (letters, digits, `-`, `_`; up to 255), exactly as registered; or `*` for an
     * account-wide token (one token shared through a secret by every task of the account: it names
     * the family per request, so it isolates accounts, not families).
     */
    family: z
      .string()
      .regex(
        /^([A-Za-z0-9_-]{1,255}|\*)$/,
        'must be an ECS task family name (or * for an account-wide token)',
      ),
    /** Issued at, seconds since the epoch. */
    iat: z.number().int().nonnegative(),
    /** Expires at, seconds since the epoch. */
    exp: z.number().int().positive(),
  })
  .strict();
export type DefenderTokenClaims = z.infer<typeof DefenderTokenClaimsSchema>;

/** A signing key: at least 32 bytes of secret material (a string is taken as UTF-8). */
export type SigningKey = string | Uint8Array;

/** Tokens sit in task definitions for as long as those run, so the default lifetime is long. */
export const DEFAULT_TOKEN_TTL_SECONDS = 365 * 24 * 3600;

/** The family of an account-wide token. */
export const ANY_FAMILY = '*';

function keyBytes(key: SigningKey): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (bytes.length < 32) throw new RangeError('the signing key must hold at least 32 bytes');
  return bytes;
}

function mac(key: SigningKey, signed: string): Buffer {
  return createHmac('sha256', keyBytes(key)).update(signed).digest();
}

/** Options of {@link mintDefenderToken}. */
export interface MintOptions {
  account: string;
  family: string;
  /** Lifetime in seconds (default one year). */
  ttlSeconds?: number;
  /** Current time in milliseconds (default `Date.now()`). */
  now?: number;
}

/** Mints a token for one account and task family; throws a ZodError naming a bad account or family. */
export function mintDefenderToken(options: MintOptions, key: SigningKey): string {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims = DefenderTokenClaimsSchema.parse({
    account: options.account,
    family: options.family,
    iat,
    exp: iat + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
  });
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signed = `${TOKEN_PREFIX}.${payload}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** Options of {@link verifyDefenderToken}. */
export interface VerifyOptions {
  /** Current time in milliseconds (default `Date.now()`). */
  now?: number;
  /** When given, a token for another family is refused with reason `forbidden` (→ 403). */
  family?: string | undefined;
}

/**
 * Verifies a token's MAC (constant time, against each key so keys can be rotated: mint with the
 * first, accept the previous), its claims and its expiry. Throws {@link TokenError}: `invalid`
 * (malformed or forged → 401), `expired` (→ 401), `forbidden` (another family → 403). Messages never
 * quote the token.
 */
export function verifyDefenderToken(
  token: string,
  keys: SigningKey | readonly SigningKey[],
  options: VerifyOptions = {},
): DefenderTokenClaims {
  const parts = token.split('.');
  const [prefix, payload, signature] = parts;
  if (parts.length !== 3 || prefix !== TOKEN_PREFIX || !payload || !signature) {
    throw new TokenError('invalid', 'not a defender token');
  }
  const presented = Buffer.from(signature, 'base64url');
  const signed = `${prefix}.${payload}`;
  const candidates = Array.isArray(keys) ? (keys as readonly SigningKey[]) : [keys as SigningKey];
  let valid = false;
  for (const key of candidates) {
    const expected = mac(key, signed);
    // timingSafeEqual needs equal lengths; the length of a MAC is public, so checking it first leaks nothing.
    if (presented.length === expected.length && timingSafeEqual(presented, expected)) valid = true;
  }
  if (!valid) throw new TokenError('invalid', 'the defender token signature does not verify');
  let claims: DefenderTokenClaims;
  try {
    claims = DefenderTokenClaimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw new TokenError('invalid', 'the defender token claims are malformed');
  }
  if (Math.floor((options.now ?? Date.now()) / 1000) >= claims.exp) {
    throw new TokenError('expired', 'the defender token has expired: embed the task definition again');
  }
  if (options.family !== undefined && claims.family !== ANY_FAMILY && options.family !== claims.family) {
    throw new TokenError(
      'forbidden',
      `the defender token is for another task family than "${options.family}"`,
    );
  }
  return claims;
}
