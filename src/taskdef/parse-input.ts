import type { z } from 'zod';
import type { Problem, TaskDefinitionRefSchema } from '../embed/decision.js';
import {
  RegisterTaskDefinitionRequestSchema,
  TagsSchema,
  TaskDefinitionSchema,
} from './ecs-shapes.generated.js';
import { describeJsonType, formatPath, formatZodIssues, ROOT_PATH } from './format-issues.js';
import { locateJsonError } from './locate-json-error.js';
import { suggestMember } from './suggest-field.js';
import type { RegisterTaskDefinitionRequest, Tag } from './types.js';

/** Which of the accepted input forms a document was. */
export type InputForm = 'register-request' | 'describe-output' | 'task-definition';

/** Where the task definition came from, as far as the input tells (read-only fields of a described one). */
export type TaskDefinitionSource = z.infer<typeof TaskDefinitionRefSchema>;

/** The outcome of {@link parseTaskDefinitionInput}: a RegisterTaskDefinition request, or every problem found. */
export type ParseResult =
  | {
      ok: true;
      /** Ready for `aws ecs register-task-definition --cli-input-json`. */
      request: RegisterTaskDefinitionRequest;
      form: InputForm;
      /** Input paths removed because RegisterTaskDefinition does not take them (read-only fields, `aws:` tags). */
      stripped: string[];
      /** Input paths changed to their canonical form (null → absent, numeric task cpu/memory → string). */
      normalized: Problem[];
      /** Family, revision and ARN when the input was a described (registered) task definition. */
      source: TaskDefinitionSource;
    }
  | { ok: false; errors: Problem[] };

/**
 * Members of a described TaskDefinition that RegisterTaskDefinition does not take (taskDefinitionArn,
 * revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy, deregisteredAt,
 * deleteRequestedAt): derived from the model so a new read-only field is stripped too.
 */
export const READ_ONLY_FIELDS: readonly string[] = Object.keys(TaskDefinitionSchema.shape).filter(
  (key) => !(key in RegisterTaskDefinitionRequestSchema.shape),
);
const READ_ONLY = new Set(READ_ONLY_FIELDS);

/** Tag keys with this prefix belong to AWS (e.g. `aws:cloudformation:stack-name`); ECS refuses them on register. */
const AWS_RESERVED_TAG_PREFIX = /^aws:/i;

const UNKNOWN_FIELD_HINT = '(ECS does not accept it)';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

const fail = (path: string, message: string): ParseResult => ({ ok: false, errors: [{ path, message }] });

/** Deeper than any task definition (they nest about 6 levels); guards the recursive walks below. */
const MAX_DEPTH = 64;

/** `'null'` when some object member is `null`, `'deep'` when nesting passes MAX_DEPTH. */
function scan(value: unknown, depth = 0): 'null' | 'deep' | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_DEPTH) return 'deep';
  let found: 'null' | 'deep' | undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = scan(item, depth + 1);
      if (inner === 'deep') return inner;
      found ??= inner;
    }
    return found;
  }
  if (value instanceof Date) return undefined;
  for (const key in value) {
    const member = (value as JsonObject)[key];
    const inner = member === null ? 'null' : scan(member, depth + 1);
    if (inner === 'deep') return inner;
    found ??= inner;
  }
  return found;
}

/**
 * A copy without object members whose value is `null`. The AWS CLI (botocore) treats a null member
 * as absent, and tools print them (`"command": null` in DescribeTaskDefinition dumps), so we do the
 * same rather than reject. Nulls inside lists are kept: they are errors. Only called when
 * {@link scan} found one, so the common case allocates nothing here.
 */
function dropNulls(value: unknown, path: PropertyKey[], dropped: Problem[]): unknown {
  if (Array.isArray(value)) return value.map((item, index) => dropNulls(item, [...path, index], dropped));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === null) {
      dropped.push({ path: formatPath([...path, key]), message: 'null treated as absent' });
      continue;
    }
    out[key] = dropNulls(member, [...path, key], dropped);
  }
  return out;
}

function describeTopLevel(value: unknown): string | undefined {
  if (value === null) return 'expected a task definition object, got null';
  if (typeof value === 'string') return 'expected a task definition object, got a JSON string';
  if (Array.isArray(value))
    return (
      'expected a task definition object, got a list; a list of container definitions needs to be wrapped ' +
      'as {"family": "NAME", "containerDefinitions": [...]}'
    );
  if (!isObject(value)) return `expected a task definition object, got ${describeJsonType(value)}`;
  return undefined;
}

/**
 * Parses any accepted form of task definition into a RegisterTaskDefinition request:
 * - the request itself (what `aws ecs register-task-definition --cli-input-json` takes);
 * - DescribeTaskDefinition output `{"taskDefinition": {...}, "tags": [...]}` — tags are carried over;
 * - a bare described task definition — its read-only fields ({@link READ_ONLY_FIELDS}) are stripped.
 * Normalisations: members set to `null` are absent; task-level `cpu`/`memory` numbers become strings
 * (the CloudFormation habit); `aws:`-prefixed tags, which ECS refuses, are stripped. Errors name the
 * JSON path in the input (`taskDefinition.containerDefinitions[1].memory: expected a number, got a
 * string`). Pure: never throws on any JSON value.
 */
export function parseTaskDefinitionInput(value: unknown): ParseResult {
  const topLevel = describeTopLevel(value);
  if (topLevel) return fail(ROOT_PATH, topLevel);

  const normalized: Problem[] = [];
  const stripped: string[] = [];
  const found = scan(value);
  if (found === 'deep')
    return fail(ROOT_PATH, `nested more than ${MAX_DEPTH} levels deep; not a task definition`);
  // zod returns fresh objects, so the input is never modified even when no copy is made here.
  const input = (found === 'null' ? dropNulls(value, [], normalized) : value) as JsonObject;

  let form: InputForm;
  let body: JsonObject;
  let prefix: string[] = [];
  let outerTags: unknown;
  const isDescribeOutput =
    'taskDefinition' in input && !('family' in input) && !('containerDefinitions' in input);
  if (isDescribeOutput) {
    form = 'describe-output';
    prefix = ['taskDefinition'];
    const errors: Problem[] = [];
    for (const key of Object.keys(input)) {
      if (key === '$metadata')
        stripped.push(key); // JS SDK output: request id and retries, not the task definition
      else if (key !== 'taskDefinition' && key !== 'tags')
        errors.push({ path: formatPath([key]), message: `unknown field ${UNKNOWN_FIELD_HINT}` });
    }
    if (!isObject(input.taskDefinition)) {
      errors.push({ path: 'taskDefinition', message: 'expected a task definition object' });
      return { ok: false, errors };
    }
    if (errors.length > 0) return { ok: false, errors };
    body = input.taskDefinition;
    outerTags = input.tags;
    if (outerTags !== undefined && body.tags !== undefined)
      return fail('tags', 'tags are given both here and in taskDefinition.tags; keep one list');
  } else {
    body = input;
    form = Object.keys(body).some((key) => READ_ONLY.has(key)) ? 'task-definition' : 'register-request';
  }

  const source: TaskDefinitionSource = {};
  const request: JsonObject = {};
  for (const [key, member] of Object.entries(body)) {
    if (!READ_ONLY.has(key)) {
      request[key] = member;
      continue;
    }
    stripped.push(formatPath([...prefix, key]));
    if (key === 'revision' && typeof member === 'number' && Number.isInteger(member) && member > 0)
      source.revision = member;
    if (key === 'taskDefinitionArn' && typeof member === 'string') source.arn = member;
  }
  if (typeof request.family === 'string') source.family = request.family;

  for (const key of ['cpu', 'memory'] as const) {
    const size = request[key];
    if (typeof size === 'number' && Number.isFinite(size)) {
      request[key] = String(size);
      normalized.push({
        path: formatPath([...prefix, key]),
        message: `number ${size} written as string "${size}"`,
      });
    }
  }

  const errors: Problem[] = [];
  if (outerTags !== undefined) {
    const tags = TagsSchema.safeParse(outerTags, { reportInput: true });
    if (tags.success) request.tags = tags.data;
    else
      errors.push(...formatZodIssues(tags.error, { prefix: ['tags'], unknownFieldHint: UNKNOWN_FIELD_HINT }));
  }

  // reportInput (needed to name the wrong value's type) slows the success path, so it is only
  // turned on for the second pass that formats the errors.
  let parsed = RegisterTaskDefinitionRequestSchema.safeParse(request);
  if (!parsed.success) parsed = RegisterTaskDefinitionRequestSchema.safeParse(request, { reportInput: true });
  if (!parsed.success)
    errors.push(
      ...formatZodIssues(parsed.error, {
        prefix,
        unknownFieldHint: UNKNOWN_FIELD_HINT,
        suggestField: (objectPath, key) => suggestMember(objectPath.slice(prefix.length), key),
      }),
    );
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };

  const result = parsed.data;
  if (result.tags) {
    const tagsPath: PropertyKey[] = outerTags !== undefined ? ['tags'] : [...prefix, 'tags'];
    const kept: Tag[] = [];
    result.tags.forEach((tag, index) => {
      if (tag.key !== undefined && AWS_RESERVED_TAG_PREFIX.test(tag.key))
        stripped.push(formatPath([...tagsPath, index]));
      else kept.push(tag);
    });
    result.tags = kept;
  }
  return { ok: true, request: result, form, stripped, normalized, source };
}

/**
 * Parses JSON text, then {@link parseTaskDefinitionInput}. Invalid JSON is reported with its line
 * and column (`invalid JSON at line 16, column 10: expected ',' or '}' after a property value, found
 * '"'`), without quoting the surrounding text. A UTF-8 byte-order mark is ignored.
 */
export function parseTaskDefinitionJson(text: string): ParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return fail(ROOT_PATH, 'invalid JSON: the input is empty');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    const where = locateJsonError(body);
    return fail(
      ROOT_PATH,
      where ? `invalid JSON at line ${where.line}, column ${where.column}: ${where.message}` : 'invalid JSON',
    );
  }
  return parseTaskDefinitionInput(value);
}
