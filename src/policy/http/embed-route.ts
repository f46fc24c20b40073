import { z } from 'zod';
import { type EmbedConfig, resolveEmbedConfig } from '../../embed/config.js';
import type { embedWithResolver } from '../../embed/embed-with-resolver.js';
import { ImageResolutionError } from '../../embed/errors.js';
import type { ImageConfigResolver } from '../../embed/image-config.js';
import { createDefaultImageResolver } from '../../images/default-resolver.js';
import { mintDefenderToken, type SigningKey } from '../defender-token.js';
import type { PolicySource, PolicyView } from '../policy-cache.js';
import { HttpError, jsonResponse } from './http-error.js';
import type { Route } from './router.js';
import type { HttpRequest } from './types.js';
import { parseQuery, readBody } from './validate.js';

/** Task definitions are at most 64 KiB for ECS; describe output and wrappers add some. */
export const EMBED_BODY_LIMIT = 1024 * 1024;

export const EmbedQuerySchema = z.strictObject({
  /** Account the minted defender token is for (default: the caller's account). */
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account ID')
    .optional(),
});

/** Options of {@link embedRoute}. */
export interface EmbedRouteOptions {
  /** The embed configuration as configured (file or environment); validated once, here. */
  config: unknown;
  /** Keys of the policy service: the first mints defender tokens for embedded task definitions. */
  signingKeys: readonly SigningKey[];
  /** Account of minted tokens when neither the query nor the caller names one. */
  defaultAccount: string;
  /** The URL sidecars poll when the configuration names none (e.g. this API's own endpoint). */
  policyUrlFor?: (request: HttpRequest) => string | undefined;
  /**
   * Looks up image ENTRYPOINT/CMD for containers without `entryPoint`. Default: the registry
   * resolver of src/images when the configuration's `resolveImages` is on (its default); with it
   * off, such containers are rejected with the fix.
   */
  resolver?: ImageConfigResolver;
  /**
   * The rules (the policy service's cache): a task whose containers' policy enables WAAS is embedded
   * with the sidecar on the policy's ports, so the task and the agent agree. Without it, only the
   * configuration's `waas` option counts.
   */
  policies?: PolicySource;
  tokenTtlSeconds?: number;
  now?: () => number;
}

/**
 * `POST /v1/embed` (admin): the body is a task definition in any form the CLI accepts; the answer is
 * `{taskDefinition, decision}` with the CLI's semantics: 200 (protected, already protected,
 * skipped), 400 (not a valid task definition), 422 (valid but cannot be protected). Unless the
 * configuration supplies a token (or a token secret), a defender token is minted for the task's
 * family and the caller's account, so the protected task can fetch its policy at once.
 * @throws EmbedConfigError at creation when the configuration is invalid (fail fast at start-up).
 */
export function embedRoute(options: EmbedRouteOptions): Route {
  const base: EmbedConfig = resolveEmbedConfig(options.config ?? {});
  const resolver = options.resolver ?? (base.resolveImages ? createDefaultImageResolver() : undefined);
  const explicitUrl =
    typeof options.config === 'object' && options.config !== null && 'policyUrl' in options.config;
  return {
    method: 'POST',
    path: '/v1/embed',
    auth: 'admin',
    bodyLimit: EMBED_BODY_LIMIT,
    async handle({ request }) {
      // The transform and the task definition schemas load with the first embed, not at start-up:
      // the policy Lambda mostly serves sidecars (policies, audits), which never need them.
      const [{ embedWithResolver: embed }, { parseTaskDefinitionInput }, { waasOptionForTaskDefinition }] =
        await Promise.all([
          import('../../embed/embed-with-resolver.js'),
          import('../../taskdef/parse-input.js'),
          import('../../embed/waas-from-policy.js'),
        ]);
      const query = parseQuery(EmbedQuerySchema, request);
      const input = readBody(request);
      const config: EmbedConfig = { ...base };
      const url = explicitUrl ? undefined : options.policyUrlFor?.(request);
      if (url !== undefined) config.policyUrl = url;
      const parsed = parseTaskDefinitionInput(input);
      if (parsed.ok && options.policies) {
        let view: PolicyView;
        try {
          view = await options.policies.current();
        } catch {
          throw new HttpError(503, 'unavailable', 'the rules could not be read (they decide WAAS); retry');
        }
        config.waas = waasOptionForTaskDefinition(parsed.request, config, view);
      }
      if (config.token === undefined && config.tokenSecretArn === undefined && options.signingKeys[0]) {
        const family = parsed.ok ? parsed.request.family : undefined;
        const account = query.account ?? request.callerAccount ?? options.defaultAccount;
        if (family !== undefined && /^[A-Za-z0-9_-]{1,255}$/.test(family) && /^\d{12}$/.test(account)) {
          config.token = mintDefenderToken(
            {
              account,
              family,
              ...(options.tokenTtlSeconds !== undefined ? { ttlSeconds: options.tokenTtlSeconds } : {}),
              ...(options.now ? { now: options.now() } : {}),
            },
            options.signingKeys[0],
          );
        }
      }
      let result: Awaited<ReturnType<typeof embedWithResolver>>;
      try {
        result = await embed(input, config, resolver);
      } catch (error) {
        if (error instanceof ImageResolutionError)
          throw new HttpError(422, 'image_lookup_failed', error.message);
        throw error;
      }
      const { decision } = result;
      if (decision.outcome === 'rejected' || decision.outcome === 'failed') {
        const invalid = result.rejection === 'invalid-input';
        return jsonResponse(invalid ? 400 : 422, {
          error: invalid ? 'invalid_input' : 'cannot_protect',
          message: decision.reason ?? (invalid ? 'not a valid task definition' : 'cannot be protected'),
          ...(decision.errors ? { problems: decision.errors } : {}),
          decision,
        });
      }
      return jsonResponse(200, { taskDefinition: result.output, decision });
    },
  };
}
