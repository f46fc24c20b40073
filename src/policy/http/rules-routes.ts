import { z } from 'zod';
import type { PolicyCache } from '../policy-cache.js';
import {
  createRule,
  deleteRule,
  getRule,
  reorderRules,
  replaceAllRules,
  replaceRule,
} from '../rules-admin.js';
import { parseRule, parseRulesDocument } from '../rules-schema.js';
import type { PolicySnapshot, RulesStore } from '../rules-store.js';
import { HttpError, jsonResponse } from './http-error.js';
import type { Route } from './router.js';
import type { HttpRequest } from './types.js';
import { ifMatchVersion, ifNoneMatches, parseBody, readBody, readJsonOrYamlBody } from './validate.js';

/** Rules documents may be large (thousands of rules); still bounded so a body cannot exhaust memory. */
export const RULES_BODY_LIMIT = 4 * 1024 * 1024;
const RULE_BODY_LIMIT = 256 * 1024;

export const ReorderBodySchema = z.strictObject({ order: z.array(z.string()).max(10_000) });

const versionTag = (version: string) => `"${version}"`;

function requireIfMatch(request: HttpRequest): string {
  const version = ifMatchVersion(request);
  if (version === undefined) {
    throw new HttpError(
      428,
      'precondition_required',
      'send If-Match with the policy version you read (the ETag of GET /v1/rules), so a concurrent change is not overwritten',
    );
  }
  return version;
}

/**
 * The admin routes: list, get, create, replace, delete and reorder rules. Every change states (or
 * may state, for whole-document pushes and creates) the version it read in `If-Match`; a stale
 * one gets 409. Changes are adopted by this process's cache at once.
 */
export function rulesRoutes(deps: { store: RulesStore; cache: PolicyCache }): Route[] {
  const written = (snapshot: PolicySnapshot, status: number, body: unknown) => {
    deps.cache.adopt(snapshot);
    return jsonResponse(status, body, { etag: versionTag(snapshot.version) });
  };
  return [
    {
      method: 'GET',
      path: '/v1/rules',
      auth: 'admin',
      async handle({ request }) {
        const snapshot = await deps.store.read();
        const etag = versionTag(snapshot.version);
        if (ifNoneMatches(request, etag)) return { status: 304, headers: { etag }, body: '' };
        return jsonResponse(200, snapshot, { etag });
      },
    },
    {
      method: 'PUT',
      path: '/v1/rules',
      auth: 'admin',
      bodyLimit: RULES_BODY_LIMIT,
      async handle({ request }) {
        const document = parseRulesDocument(await readJsonOrYamlBody(request));
        const snapshot = await replaceAllRules(deps.store, document, ifMatchVersion(request));
        return written(snapshot, 200, snapshot);
      },
    },
    {
      method: 'POST',
      path: '/v1/rules',
      auth: 'admin',
      bodyLimit: RULE_BODY_LIMIT,
      async handle({ request }) {
        const rule = parseRule(await readJsonOrYamlBody(request));
        const snapshot = await createRule(deps.store, rule, { expectedVersion: ifMatchVersion(request) });
        return written(snapshot, 201, { version: snapshot.version, rule });
      },
    },
    {
      // Reordering changes the collection, not one rule: PATCH the collection with the new order.
      method: 'PATCH',
      path: '/v1/rules',
      auth: 'admin',
      bodyLimit: RULES_BODY_LIMIT,
      async handle({ request }) {
        const expected = requireIfMatch(request);
        const { order } = parseBody(ReorderBodySchema, readBody(request));
        const snapshot = await reorderRules(deps.store, order, expected);
        return written(snapshot, 200, snapshot);
      },
    },
    {
      method: 'GET',
      path: '/v1/rules/:name',
      auth: 'admin',
      async handle({ params }) {
        const { version, rule } = await getRule(deps.store, params.name as string);
        return jsonResponse(200, { version, rule }, { etag: versionTag(version) });
      },
    },
    {
      method: 'PUT',
      path: '/v1/rules/:name',
      auth: 'admin',
      bodyLimit: RULE_BODY_LIMIT,
      async handle({ request, params }) {
        const expected = requireIfMatch(request);
        const rule = parseRule(await readJsonOrYamlBody(request));
        const snapshot = await replaceRule(deps.store, params.name as string, rule, expected);
        return written(snapshot, 200, { version: snapshot.version, rule });
      },
    },
    {
      method: 'DELETE',
      path: '/v1/rules/:name',
      auth: 'admin',
      async handle({ request, params }) {
        const expected = requireIfMatch(request);
        const snapshot = await deleteRule(deps.store, params.name as string, expected);
        return written(snapshot, 200, { version: snapshot.version });
      },
    },
  ];
}
