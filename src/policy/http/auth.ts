import { createHash, timingSafeEqual } from 'node:crypto';
import { type DefenderTokenClaims, type SigningKey, verifyDefenderToken } from '../defender-token.js';
import { TokenError } from '../errors.js';
import { HttpError } from './http-error.js';
import type { HttpRequest } from './types.js';

/** The token of `Authorization: Bearer TOKEN`, or undefined. */
export function bearerToken(request: HttpRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Verifies the defender token of a request (401 when missing, forged or expired). */
export function defenderAuthenticator(
  keys: readonly SigningKey[],
  now: () => number = Date.now,
): (request: HttpRequest) => DefenderTokenClaims {
  return (request) => {
    const token = bearerToken(request);
    if (token === undefined)
      throw new TokenError('invalid', 'send the defender token as "Authorization: Bearer TOKEN"');
    return verifyDefenderToken(token, keys, { now: now() });
  };
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
}

/**
 * Admin authentication in AWS: the route is configured with IAM authorization in API Gateway, which
 * has already verified the SigV4 signature; the function only checks that the authorizer ran, so a
 * route misconfigured without it fails closed.
 */
export function iamAdminAuthenticator(): (request: HttpRequest) => void {
  return (request) => {
    if (!request.iamCaller) throw unauthorized('admin routes need IAM (SigV4) authentication');
  };
}

/**
 * Admin authentication of the local stack: `Authorization: Bearer ADMIN_TOKEN` compared in
 * constant time (both sides hashed first, so lengths do not leak either).
 */
export function tokenAdminAuthenticator(adminToken: string): (request: HttpRequest) => void {
  const expected = createHash('sha256').update(adminToken).digest();
  return (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw unauthorized('send the admin token as "Authorization: Bearer TOKEN"');
    const presented = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(presented, expected)) throw unauthorized('the admin token is not valid');
  };
}
