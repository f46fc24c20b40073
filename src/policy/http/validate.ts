import type { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { formatZodIssues } from '../../taskdef/format-issues.js';
import { locateJsonError } from '../../taskdef/locate-json-error.js';
import { HttpError } from './http-error.js';
import type { HttpRequest } from './types.js';

/** Validates query parameters; unknown ones are refused (a misspelt parameter would be ignored silently). */
export function parseQuery<S extends z.ZodType>(schema: S, request: HttpRequest): z.infer<S> {
  const defined = Object.fromEntries(Object.entries(request.query).filter(([, v]) => v !== undefined));
  const result = schema.safeParse(defined, { reportInput: true });
  if (!result.success) {
    throw new HttpError(
      400,
      'invalid_query',
      'the query parameters are not valid',
      formatZodIssues(result.error),
    );
  }
  return result.data;
}

/** The body parsed as JSON. */
export function readBody(request: HttpRequest): unknown {
  const text = request.body ?? '';
  if (text.trim() === '') throw new HttpError(400, 'empty_body', 'this route needs a body');
  try {
    return JSON.parse(text);
  } catch {
    // V8's message may quote the body, which may hold a secret (task definitions carry environment
    // values): the locator names the line and column and quotes one character at most.
    const at = locateJsonError(text);
    const where = at ? ` at line ${at.line}, column ${at.column}: ${at.message}` : '';
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON${where}`.slice(0, 300));
  }
}

/**
 * The body parsed as YAML when the content type says so, as JSON otherwise. The YAML parser
 * (about a sixth of the policy Lambda's code) loads with the first YAML body, not at cold start:
 * sidecars only send JSON.
 */
export async function readJsonOrYamlBody(request: HttpRequest): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/yaml/i.test(type)) return readBody(request);
  const text = request.body ?? '';
  if (text.trim() === '') throw new HttpError(400, 'empty_body', 'this route needs a body');
  // Bundled, a dynamic import of the (CommonJS) parser yields its exports as `default` only.
  const yaml: { parse?: typeof parseYaml; default?: { parse: typeof parseYaml } } = await import('yaml');
  const parse = yaml.parse ?? yaml.default?.parse;
  if (parse === undefined) throw new HttpError(500, 'internal', 'the YAML parser could not be loaded');
  try {
    return parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    const first = error instanceof Error ? error.message.split('\n')[0] : '';
    throw new HttpError(400, 'invalid_yaml', `the body is not valid YAML: ${first}`);
  }
}

/** Validates a parsed body against a schema, naming each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw new HttpError(400, 'invalid_body', 'the body is not valid', formatZodIssues(result.error));
  }
  return result.data;
}

/** The version an `If-Match` header states (`"3"`, `3` or `W/"3"`), or undefined. */
export function ifMatchVersion(request: HttpRequest): string | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match?.[1]) {
    throw new HttpError(
      400,
      'invalid_if_match',
      'If-Match must be the policy version read, e.g. If-Match: "3"',
    );
  }
  return match[1];
}

/** Whether `If-None-Match` lists `etag` (or `*`). */
export function ifNoneMatches(request: HttpRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}
