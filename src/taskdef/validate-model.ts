import type { Problem } from '../embed/decision.js';
import type { CompactModel, CompactShape } from './compact-model.js';
import { checkEcsLimits } from './ecs-limits.js';
import { ECS_MODEL } from './ecs-model.generated.js';
import { TaskdefError, UnknownShapeError } from './errors.js';
import { describeJsonType, formatPath } from './format-issues.js';

/** botocore `integer` is a Java int: ECS refuses numbers outside it. */
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Where a check is in the document, and what it found so far. */
interface Walk {
  path: (string | number)[];
  problems: Problem[];
}

/** A validator for one shape, compiled once per model: each shape's rules become one closure. */
type Check = (value: unknown, walk: Walk) => void;

const report = (walk: Walk, message: string): void => {
  walk.problems.push({ path: formatPath(walk.path), message });
};

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

function lengthCheck(shape: CompactShape, unit: string): ((count: number, walk: Walk) => void) | undefined {
  const { min, max } = shape;
  if (min === undefined && max === undefined) return undefined;
  return (count, walk) => {
    if (min !== undefined && count < min) report(walk, `must have at least ${min} ${unit}, has ${count}`);
    if (max !== undefined && count > max) report(walk, `must have at most ${max} ${unit}, has ${count}`);
  };
}

/**
 * Turns the compact model into checks, one closure per shape, built on first use and kept: the
 * validator then does no shape look-ups or type dispatch per value, which keeps validating a task
 * definition in the same range as zod's compiled parse.
 */
class ModelCompiler {
  private readonly checks = new Map<string, Check>();

  constructor(private readonly model: CompactModel) {}

  check(name: string): Check {
    const known = this.checks.get(name);
    if (known) return known;
    const shape = this.model.shapes[name];
    if (!shape) throw new UnknownShapeError(name);
    // A forwarder first, so a shape that (one day) refers to itself compiles without looping.
    let compiled: Check | undefined;
    this.checks.set(name, (value, walk) => (compiled as Check)(value, walk));
    compiled = this.compile(name, shape);
    this.checks.set(name, compiled);
    return compiled;
  }

  private compile(name: string, shape: CompactShape): Check {
    switch (shape.type) {
      case 'structure':
        return this.structure(shape);
      case 'string':
        return this.string(shape);
      case 'integer':
      case 'long':
        return this.integer(shape);
      case 'float':
      case 'double':
        return (value, walk) => {
          if (typeof value !== 'number' || !Number.isFinite(value))
            report(walk, `expected a number, got ${describeJsonType(value)}`);
        };
      case 'boolean':
        return (value, walk) => {
          if (typeof value !== 'boolean')
            report(walk, `expected true or false, got ${describeJsonType(value)}`);
        };
      case 'list':
        return this.list(shape);
      case 'map':
        return this.map(shape);
      case 'timestamp':
        return (value, walk) => {
          if (!(typeof value === 'string' || typeof value === 'number' || value instanceof Date))
            report(walk, `expected a date-time, got ${describeJsonType(value)}`);
        };
      default:
        throw new TaskdefError(`shape ${name} has type ${shape.type}, which the validator does not handle`);
    }
  }

  private structure(shape: CompactShape): Check {
    const members = new Map<string, Check>();
    for (const [member, memberShape] of Object.entries(shape.members ?? {}))
      members.set(member, this.check(memberShape));
    const required = shape.required ?? [];
    return (value, walk) => {
      if (!isObject(value)) {
        report(walk, `expected an object, got ${describeJsonType(value)}`);
        return;
      }
      for (const key of required) {
        if (value[key] === undefined) {
          walk.path.push(key);
          report(walk, 'required');
          walk.path.pop();
        }
      }
      for (const key in value) {
        const member = value[key];
        if (member === undefined) continue;
        walk.path.push(key);
        const check = members.get(key);
        if (check === undefined) report(walk, 'unknown field (ECS does not accept it)');
        else check(member, walk);
        walk.path.pop();
      }
    };
  }

  private string(shape: CompactShape): Check {
    if (shape.enum) {
      const allowed = new Set(shape.enum);
      const list = shape.enum.join(', ');
      return (value, walk) => {
        if (typeof value !== 'string') report(walk, `expected a string, got ${describeJsonType(value)}`);
        else if (!allowed.has(value))
          report(walk, `${JSON.stringify(value.slice(0, 60))} is not one of ${list}`);
      };
    }
    const length = lengthCheck(shape, 'characters');
    // Smithy patterns are ECMA-262 and not implicitly anchored; the `u` flag is needed for \p{...}.
    const pattern = shape.pattern === undefined ? undefined : new RegExp(shape.pattern, 'u');
    return (value, walk) => {
      if (typeof value !== 'string') {
        report(walk, `expected a string, got ${describeJsonType(value)}`);
        return;
      }
      length?.(codePoints(value), walk);
      if (pattern && !pattern.test(value)) report(walk, `does not match the pattern ${shape.pattern}`);
    };
  }

  private integer(shape: CompactShape): Check {
    const min = Math.max(shape.min ?? INT32.min, INT32.min);
    const max = Math.min(shape.max ?? INT32.max, INT32.max);
    return (value, walk) => {
      if (typeof value !== 'number') report(walk, `expected a number, got ${describeJsonType(value)}`);
      else if (!Number.isInteger(value)) report(walk, `expected a whole number, got ${value}`);
      else if (value < min) report(walk, `must be at least ${min}, got ${value}`);
      else if (value > max) report(walk, `must be at most ${max}, got ${value}`);
    };
  }

  private list(shape: CompactShape): Check {
    const member = this.check(shape.member as string);
    const length = lengthCheck(shape, 'items');
    return (value, walk) => {
      if (!Array.isArray(value)) {
        report(walk, `expected a list, got ${describeJsonType(value)}`);
        return;
      }
      length?.(value.length, walk);
      for (let i = 0; i < value.length; i++) {
        walk.path.push(i);
        member(value[i], walk);
        walk.path.pop();
      }
    };
  }

  private map(shape: CompactShape): Check {
    const key = shape.key === undefined ? undefined : this.check(shape.key);
    const entry = this.check(shape.value as string);
    const length = lengthCheck(shape, 'entries');
    return (value, walk) => {
      if (!isObject(value)) {
        report(walk, `expected an object, got ${describeJsonType(value)}`);
        return;
      }
      if (length) length(Object.keys(value).length, walk);
      for (const name in value) {
        walk.path.push(name);
        key?.(name, walk);
        entry(value[name], walk);
        walk.path.pop();
      }
    };
  }
}

const compilers = new WeakMap<CompactModel, ModelCompiler>();

/**
 * Validates a value against a shape of the ECS API model (default: the RegisterTaskDefinition
 * request), as written in `aws-ecs-api-model.json`: unknown members, required members, types,
 * enums, 32-bit integers, min/max on numbers and on string, list and map lengths, patterns. For the
 * request shape it also applies {@link checkEcsLimits} (the limits ECS enforces beyond the model:
 * name patterns, 10 containers, 64 KiB, tags, references between containers and volumes). Every
 * protected output goes through this before it leaves. `null` is reported, not treated as absent:
 * outputs must be clean. Returns every problem, each named by its JSON path; `[]` means valid.
 * @throws UnknownShapeError when `shape` is not reachable from the request or describe shapes.
 */
export function validateAgainstModel(
  value: unknown,
  shape = 'RegisterTaskDefinitionRequest',
  model: CompactModel = ECS_MODEL,
): Problem[] {
  let compiler = compilers.get(model);
  if (!compiler) {
    compiler = new ModelCompiler(model);
    compilers.set(model, compiler);
  }
  const walk: Walk = { path: [], problems: [] };
  compiler.check(shape)(value, walk);
  if (shape === 'RegisterTaskDefinitionRequest') walk.problems.push(...checkEcsLimits(value));
  return walk.problems;
}
