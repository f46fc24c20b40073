import { z } from 'zod';
import { AUDIT_BATCH_MAX_BYTES, AuditBatchSchema, ingestAudits } from '../../audit/ingest.js';
import type { EventBus } from '../../aws/event-bus.js';
import { ANY_FAMILY } from '../defender-token.js';
import { TokenError } from '../errors.js';
import type { PolicyCache } from '../policy-cache.js';
import { HttpError, jsonResponse } from './http-error.js';
import type { Route } from './router.js';
import { ifNoneMatches, parseBody, parseQuery, readBody } from './validate.js';

const NameSchema = z.string().min(1).max(255);

/** `GET /v1/policy` query: the container (and what else the agent knows) to compile the policy for. */
export const PolicyQuerySchema = z.strictObject({
  container: NameSchema,
  image: z.string().min(1).max(2048).optional(),
  cluster: NameSchema.optional(),
  /** The token's family decides (another one → 403); required with an account-wide (`*`) token. */
  family: NameSchema.optional(),
});

/** The sidecar-facing routes: the compiled policy of one container, and audit batches. */
export function sidecarRoutes(deps: { cache: PolicyCache; bus: EventBus }): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/policy',
      auth: 'defender',
      async handle({ request, defender }) {
        const query = parseQuery(PolicyQuerySchema, request);
        const claims = defender!;
        let family = claims.family;
        if (claims.family === ANY_FAMILY) {
          if (query.family === undefined) {
            throw new HttpError(400, 'invalid_query', 'an account-wide token must name the task family', [
              { path: 'family', message: 'required with an account-wide token' },
            ]);
          }
          family = query.family;
        } else if (query.family !== undefined && query.family !== claims.family) {
          throw new TokenError(
            'forbidden',
            `the defender token is not valid for task family "${query.family}"`,
          );
        }
        const view = await deps.cache.current();
        const served = view.policyFor({
          container: query.container,
          family,
          image: query.image,
          cluster: query.cluster,
        });
        const headers = { etag: served.etag, 'cache-control': 'no-cache' };
        if (ifNoneMatches(request, served.etag)) return { status: 304, headers, body: '' };
        return {
          status: 200,
          headers: { 'content-type': 'application/json', ...headers },
          body: served.body,
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/audits',
      auth: 'defender',
      bodyLimit: AUDIT_BATCH_MAX_BYTES,
      async handle({ request, defender }) {
        const batch = parseBody(AuditBatchSchema, readBody(request));
        const result = await ingestAudits(batch, defender!, deps.bus);
        return jsonResponse(202, result);
      },
    },
  ];
}
