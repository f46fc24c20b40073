import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../src/embed/decision.js';
import { checkEcsLimits } from '../../src/taskdef/ecs-limits.js';
import { RegisterTaskDefinitionRequestSchema } from '../../src/taskdef/ecs-shapes.generated.js';
import { parseTaskDefinitionInput, parseTaskDefinitionJson } from '../../src/taskdef/parse-input.js';
import { validateAgainstModel } from '../../src/taskdef/validate-model.js';

/** The corpus requests that parse: realistic starting points for mutations. */
const dir = join(import.meta.dirname, '../corpus/taskdefs');
const requests = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .flatMap((name) => {
    const parsed = parseTaskDefinitionJson(readFileSync(join(dir, name), 'utf8'));
    return parsed.ok ? [parsed.request] : [];
  });

type Json = unknown;
type Step = string | number;

/** Every place in a document: the paths of all values, objects and lists included. */
function pathsOf(value: Json, path: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) pathsOf(value[i], [...path, i], out);
  } else if (typeof value === 'object' && value !== null)
    for (const [key, member] of Object.entries(value)) pathsOf(member, [...path, key], out);
  return out;
}

/** Replaces the value at `path` (the root is never replaced: both validators reject non-objects alike). */
function replaceAt(doc: Json, path: Step[], value: Json): Json {
  const copy = structuredClone(doc) as Record<Step, Json>;
  let node = copy;
  for (const step of path.slice(0, -1)) node = node[step] as Record<Step, Json>;
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
  return copy;
}

// Scalars both validators judge alike: the model's extra checks (32-bit range, tag lengths) are
// out of reach of these values, so any disagreement is a real difference in types, enums,
// required members or unknown fields.
const scalar = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ min: -1000, max: 1000 }),
  fc.string({ minLength: 1, maxLength: 6 }),
  fc.constantFrom('awsvpc', 'FARGATE', 'HEALTHY', 'awslogs', 'tcp', 'X86_64', 'LINUX', 'ENABLED'),
  fc.boolean(),
  fc.constant(null),
);
const replacement = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('name', 'value', 'key', 'image', 'unknownField'), scalar, { maxKeys: 2 }),
);

const key = (p: Problem): string => `${p.path}: ${p.message}`;
const modelOnly = (value: Json): Problem[] => {
  const limits = new Set(checkEcsLimits(value).map(key));
  return validateAgainstModel(value).filter((p) => !limits.has(key(p)));
};

describe('Function: validateAgainstModel (agreement with the zod schemas)', () => {
  it('accepts exactly what RegisterTaskDefinitionRequestSchema accepts, on mutated corpus requests', () => {
    expect(requests.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.constantFrom(...requests), fc.nat(), replacement, (request, pick, value) => {
        // Prepare
        const paths = pathsOf(request).filter((path) => path.length > 0);
        const path = paths[pick % paths.length] as Step[];
        const mutated = replaceAt(request, path, value);

        // Act
        const zodAccepts = RegisterTaskDefinitionRequestSchema.safeParse(mutated).success;
        const modelProblems = modelOnly(mutated);

        // Assess
        expect(modelProblems.length === 0, JSON.stringify({ path, value, modelProblems })).toBe(zodAccepts);
      }),
      { numRuns: 400 },
    );
  });
});

describe('Function: parseTaskDefinitionInput (properties)', () => {
  it('never throws, and every problem names a path and says what is wrong', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const result = parseTaskDefinitionInput(value);
        if (!result.ok)
          for (const problem of result.errors) {
            expect(problem.path.length).toBeGreaterThan(0);
            expect(problem.message.length).toBeGreaterThan(0);
          }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: its output parses to itself as a register request', () => {
    fc.assert(
      fc.property(fc.constantFrom(...requests), (request) => {
        const again = parseTaskDefinitionInput(request);
        expect(again.ok && again.form === 'register-request' && again.request).toEqual(request);
      }),
      { numRuns: 50 },
    );
  });
});
