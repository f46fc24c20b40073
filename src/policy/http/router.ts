import type { DefenderTokenClaims } from '../defender-token.js';
import {
  PolicyError,
  RuleExistsError,
  RuleNotFoundError,
  RulesStoreError,
  RulesValidationError,
  TokenError,
  VersionConflictError,
} from '../errors.js';
import { errorResponse, HttpError } from './http-error.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** Who may call a route: anyone, a sidecar with a defender token, or an administrator. */
export type RouteAuth = 'none' | 'defender' | 'admin';

/** What a route handler receives. */
export interface RouteContext {
  request: HttpRequest;
  /** Path parameters (`:name` segments), percent-decoded. */
  params: Record<string, string>;
  /** The verified claims of the defender token (routes with `auth: 'defender'`). */
  defender?: DefenderTokenClaims;
}

export interface Route {
  method: string;
  /** Path pattern: literal segments and `:param` segments, e.g. `/v1/rules/:name`. */
  path: string;
  auth: RouteAuth;
  /** Largest body accepted, in bytes; larger ones get 413 before anything parses them (default 0: no body). */
  bodyLimit?: number;
  handle(context: RouteContext): Promise<HttpResponse> | HttpResponse;
}

/** How the router authenticates; both throw ({@link TokenError} or {@link HttpError}) to refuse. */
export interface RouterAuth {
  defender(request: HttpRequest): DefenderTokenClaims;
  admin(request: HttpRequest): void;
}

export interface RouterOptions {
  auth: RouterAuth;
  /** Told about every unexpected error (answered as a masked 500/503); never sent to the client. */
  onError?: (error: unknown, request: HttpRequest) => void;
}

/** A request handler: never throws, always answers. */
export type Handler = (request: HttpRequest) => Promise<HttpResponse>;

interface CompiledRoute {
  route: Route;
  segments: string[];
}

function matchPath(
  segments: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i] as string;
    if (segment.startsWith(':')) {
      if (part === '') return undefined;
      params[segment.slice(1)] = part;
    } else if (segment !== part) return undefined;
  }
  return params;
}

function decodeParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw new HttpError(400, 'bad_path', `the path segment for ${key} is not valid percent-encoding`);
    }
  }
  return out;
}

/** Maps the policy area's errors to client errors; anything else is unexpected. */
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof TokenError) {
    return error.reason === 'forbidden'
      ? new HttpError(403, 'forbidden', error.message)
      : new HttpError(
          401,
          error.reason === 'expired' ? 'token_expired' : 'unauthorized',
          error.message,
          undefined,
          {
            'www-authenticate': `Bearer error="invalid_token"`,
          },
        );
  }
  if (error instanceof RulesValidationError) {
    return new HttpError(400, 'invalid_rules', 'the rules are not valid', error.problems);
  }
  if (error instanceof RuleNotFoundError) return new HttpError(404, 'rule_not_found', error.message);
  if (error instanceof RuleExistsError) return new HttpError(409, 'rule_exists', error.message);
  if (error instanceof VersionConflictError) {
    return new HttpError(409, 'version_conflict', error.message, undefined, {
      ...(error.currentVersion ? { etag: `"${error.currentVersion}"` } : {}),
    });
  }
  return undefined;
}

/**
 * Builds the request handler for a route table: 404 for an unknown path, 405 (with `Allow`) for a
 * known path and another method, then authentication, then the body limit (413, before any
 * parsing), then the route. Client errors answer with their message; unexpected errors answer a
 * masked 500 (503 when the rules store is unreachable) so no stack or secret leaves the process.
 */
export function createRouter(routes: readonly Route[], options: RouterOptions): Handler {
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, segments: route.path.split('/') }));
  return async (request) => {
    try {
      const parts = request.path.split('/');
      const candidates = compiled
        .map((c) => ({ c, params: matchPath(c.segments, parts) }))
        .filter((m): m is { c: CompiledRoute; params: Record<string, string> } => m.params !== undefined);
      if (candidates.length === 0) throw new HttpError(404, 'not_found', 'no such route');
      const method = request.method.toUpperCase();
      const found = candidates.find((m) => m.c.route.method === method);
      if (!found) {
        const allow = [...new Set(candidates.map((m) => m.c.route.method))].join(', ');
        throw new HttpError(405, 'method_not_allowed', `use ${allow} for this route`, undefined, { allow });
      }
      const { route } = found.c;
      const context: RouteContext = { request, params: decodeParams(found.params) };
      if (route.auth === 'defender') context.defender = options.auth.defender(request);
      else if (route.auth === 'admin') options.auth.admin(request);
      const limit = route.bodyLimit ?? 0;
      const size = request.body === undefined ? 0 : Buffer.byteLength(request.body, 'utf8');
      if (size > limit) {
        throw new HttpError(
          413,
          'body_too_large',
          limit === 0
            ? 'this route takes no body'
            : `the body is ${size} bytes, over this route's limit of ${limit}`,
        );
      }
      return await route.handle(context);
    } catch (error) {
      const httpError = toHttpError(error);
      if (httpError) return errorResponse(httpError);
      options.onError?.(error, request);
      if (error instanceof RulesStoreError) {
        return errorResponse(
          new HttpError(503, 'store_unavailable', 'the rules store is unavailable; retry later'),
        );
      }
      const message = error instanceof PolicyError ? 'the policy service failed' : 'internal error';
      return errorResponse(new HttpError(500, 'internal', message));
    }
  };
}
