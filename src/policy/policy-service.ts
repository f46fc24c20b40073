import type { EventBus } from '../aws/event-bus.js';
import type { SigningKey } from './defender-token.js';
import { defenderAuthenticator } from './http/auth.js';
import { sidecarRoutes } from './http/policy-routes.js';
import { createRouter, type Handler, type Route } from './http/router.js';
import { rulesRoutes } from './http/rules-routes.js';
import type { HttpRequest } from './http/types.js';
import { PolicyCache } from './policy-cache.js';
import type { RulesStore } from './rules-store.js';

/** Everything the policy API needs, passed in by the Lambda handler or the local stack. */
export interface PolicyServiceOptions {
  store: RulesStore;
  bus: EventBus;
  /** Keys that verify defender tokens (the first one mints). */
  signingKeys: readonly SigningKey[];
  /** Refuses a request that is not an administrator's (throws an HttpError 401/403). */
  authenticateAdmin: (request: HttpRequest) => void;
  /**
   * Extra routes served by the same router (e.g. `POST /v1/embed`, the local ECS simulator); a
   * function gets the service's policy cache (the embed route reads each task's WAAS policy from it).
   */
  extraRoutes?: readonly Route[] | ((cache: PolicyCache) => readonly Route[]);
  /** Milliseconds between policy version checks (default 5000). */
  checkIntervalMs?: number;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Told about unexpected errors and stale-cache fallbacks (logging); never shown to clients. */
  onError?: (error: unknown, request?: HttpRequest) => void;
}

export interface PolicyService {
  handle: Handler;
  cache: PolicyCache;
  routes: readonly Route[];
}

/** Assembles the policy API: health, sidecar routes, admin rules routes and any extra routes. */
export function createPolicyService(options: PolicyServiceOptions): PolicyService {
  const now = options.now ?? Date.now;
  const cache = new PolicyCache({
    store: options.store,
    now,
    ...(options.checkIntervalMs !== undefined ? { checkIntervalMs: options.checkIntervalMs } : {}),
    ...(options.onError ? { onStale: (error: unknown) => options.onError?.(error) } : {}),
  });
  const routes: Route[] = [
    {
      method: 'GET',
      path: '/v1/health',
      auth: 'none',
      handle: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' }),
    },
    ...sidecarRoutes({ cache, bus: options.bus }),
    ...rulesRoutes({ store: options.store, cache }),
    ...(typeof options.extraRoutes === 'function' ? options.extraRoutes(cache) : (options.extraRoutes ?? [])),
  ];
  const handle = createRouter(routes, {
    auth: { defender: defenderAuthenticator(options.signingKeys, now), admin: options.authenticateAdmin },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return { handle, cache, routes };
}
