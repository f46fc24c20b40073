import type { z } from 'zod';
import type { Problem } from '../embed/decision.js';

/** The path used for a problem with the document itself rather than one of its fields. */
export const ROOT_PATH = '$';

/** Options for {@link formatZodIssues}. */
export interface FormatIssuesOptions {
  /** Path segments to put in front of every issue's path (e.g. `['taskDefinition']`). */
  prefix?: readonly PropertyKey[];
  /** Appended to "unknown field", e.g. `(ECS does not accept it)`. */
  unknownFieldHint?: string;
  /**
   * Suggests a known field for a misspelt one (`portBindings` → `portMappings`). Receives the path
   * of the object holding the field and the unknown key.
   */
  suggestField?: (objectPath: readonly PropertyKey[], key: string) => string | undefined;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders a JSON path the way people write it: `containerDefinitions[1].memory`,
 * `dockerLabels["com.example.team"]`; the empty path is {@link ROOT_PATH}.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += IDENTIFIER.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? ROOT_PATH : out;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  date: 'a date',
  null: 'null',
  undefined: 'nothing',
  bigint: 'a number',
  nan: 'NaN',
};

/** The JSON type of a value in plain words; never the value itself (it may be a secret). */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : 'a fractional number';
  return TYPE_WORDS[typeof value] ?? typeof value;
}

/** Scalars short enough to quote back to the user (enum values, not secrets: callers pick the issues). */
function quote(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeJsonType(value);
}

function sizeWord(origin: string | undefined): string {
  switch (origin) {
    case 'string':
      return 'characters';
    case 'array':
    case 'set':
      return 'items';
    default:
      return 'entries';
  }
}

function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (!('input' in issue) || issue.input === undefined) return 'required';
      if (issue.expected === 'int') return `expected a whole number, got ${quote(issue.input)}`;
      return `expected ${expected}, got ${describeJsonType(issue.input)}`;
    }
    case 'invalid_value': {
      if (!('input' in issue) || issue.input === undefined) return 'required';
      const allowed = issue.values.map((v) => String(v)).join(', ');
      return issue.values.length === 1
        ? `${quote(issue.input)} must be ${allowed}`
        : `${quote(issue.input)} is not one of ${allowed}`;
    }
    case 'unrecognized_keys':
      // Expanded to one problem per key by formatZodIssues; this is the fallback text.
      return `unknown fields ${issue.keys.join(', ')}`;
    case 'too_small': {
      const min = String(issue.minimum);
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint')
        return `must be at least ${min}${issue.inclusive === false ? ' (exclusive)' : ''}`;
      return `must have at least ${min} ${sizeWord(issue.origin)}`;
    }
    case 'too_big': {
      const max = String(issue.maximum);
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint')
        return `must be at most ${max}${issue.inclusive === false ? ' (exclusive)' : ''}`;
      return `must have at most ${max} ${sizeWord(issue.origin)}`;
    }
    case 'invalid_format':
      if (issue.format === 'datetime') return 'expected an ISO 8601 date-time or epoch seconds';
      if (issue.format === 'regex' && issue.pattern) return `does not match the pattern ${issue.pattern}`;
      return `expected the ${issue.format} format`;
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    case 'invalid_key':
      return 'invalid key';
    case 'invalid_element':
      return 'invalid entry';
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return issue.message || 'invalid value';
  }
}

/**
 * Turns any zod error into {@link Problem}s that name the JSON path and say in plain words what is
 * wrong: `containerDefinitions[1].memory: expected a number, got a string`, `family: required`,
 * `networkMode: "default" is not one of bridge, host, awsvpc, none`. An unknown key becomes one
 * problem per key at the key's own path. Values are quoted back only for enums and whole numbers,
 * never for free-text fields, so secrets do not leak into messages. Works for any schema (task
 * definitions, policy rules, config files); pass `{ reportInput: true }` to `safeParse` so types
 * of wrong values can be named.
 */
export function formatZodIssues(error: z.ZodError, options: FormatIssuesOptions = {}): Problem[] {
  const prefix = options.prefix ?? [];
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestion = options.suggestField?.(path, key);
        const hint = options.unknownFieldHint ? ` ${options.unknownFieldHint}` : '';
        problems.push({
          path: formatPath([...path, key]),
          message: `unknown field${hint}${suggestion ? `; did you mean ${suggestion}?` : ''}`,
        });
      }
      continue;
    }
    problems.push({ path: formatPath(path), message: messageFor(issue) });
  }
  return problems;
}

/** `path: message`, the one-line form used by the CLI and in errors. */
export function problemToString(problem: Problem): string {
  return `${problem.path}: ${problem.message}`;
}
