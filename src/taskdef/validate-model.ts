import type { Problem } from '../embed/decision.js';
import type { CompactModel, CompactShape } from './compact-model.js';
import { checkEcsLimits } from './ecs-limits.js';
import { ECS_MODEL } from './ecs-model.generated.js';
import { TaskdefError, UnknownShapeError } from './errors.js';
import { describeJsonType, formatPath } from './format-issues.js';

/** botocore `integer` is a Java int: ECS refuses numbers outside it. */
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

const patternCache = new Map<string, RegExp>();
function compiledPattern(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (!regex) {
    // Smithy patterns are ECMA-262 and not implicitly anchored; the `u` flag is needed for \p{...}.
    regex = new RegExp(pattern, 'u');
    patternCache.set(pattern, regex);
  }
  return regex;
}

const codePoints = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

class ModelWalker {
  readonly problems: Problem[] = [];
  private readonly path: (string | number)[] = [];

  constructor(private readonly model: CompactModel) {}

  private report(message: string): void {
    this.problems.push({ path: formatPath(this.path), message });
  }

  private length(count: number, shape: CompactShape, unit: string): void {
    if (shape.min !== undefined && count < shape.min)
      this.report(`must have at least ${shape.min} ${unit}, has ${count}`);
    if (shape.max !== undefined && count > shape.max)
      this.report(`must have at most ${shape.max} ${unit}, has ${count}`);
  }

  visit(value: unknown, shapeName: string): void {
    const shape = this.model.shapes[shapeName];
    if (!shape) throw new UnknownShapeError(shapeName);
    switch (shape.type) {
      case 'structure':
        this.structure(value, shape);
        return;
      case 'string':
        this.string(value, shape);
        return;
      case 'integer':
      case 'long':
        this.integer(value, shape);
        return;
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value))
          this.report(`expected a number, got ${describeJsonType(value)}`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') this.report(`expected true or false, got ${describeJsonType(value)}`);
        return;
      case 'list':
        this.list(value, shape);
        return;
      case 'map':
        this.map(value, shape);
        return;
      case 'timestamp':
        if (!(typeof value === 'string' || typeof value === 'number' || value instanceof Date))
          this.report(`expected a date-time, got ${describeJsonType(value)}`);
        return;
      default:
        throw new TaskdefError(
          `shape ${shapeName} has type ${shape.type}, which the validator does not handle`,
        );
    }
  }

  private structure(value: unknown, shape: CompactShape): void {
    if (!isObject(value)) {
      this.report(`expected an object, got ${describeJsonType(value)}`);
      return;
    }
    const members = shape.members ?? {};
    for (const required of shape.required ?? []) {
      if (value[required] === undefined) {
        this.path.push(required);
        this.report('required');
        this.path.pop();
      }
    }
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      this.path.push(key);
      const memberShape = members[key];
      if (memberShape === undefined) this.report('unknown field (ECS does not accept it)');
      else this.visit(member, memberShape);
      this.path.pop();
    }
  }

  private string(value: unknown, shape: CompactShape): void {
    if (typeof value !== 'string') {
      this.report(`expected a string, got ${describeJsonType(value)}`);
      return;
    }
    if (shape.enum) {
      if (!shape.enum.includes(value))
        this.report(`${JSON.stringify(value.slice(0, 60))} is not one of ${shape.enum.join(', ')}`);
      return;
    }
    if (shape.min !== undefined || shape.max !== undefined)
      this.length(codePoints(value), shape, 'characters');
    if (shape.pattern !== undefined && !compiledPattern(shape.pattern).test(value))
      this.report(`does not match the pattern ${shape.pattern}`);
  }

  private integer(value: unknown, shape: CompactShape): void {
    if (typeof value !== 'number') {
      this.report(`expected a number, got ${describeJsonType(value)}`);
      return;
    }
    if (!Number.isInteger(value)) {
      this.report(`expected a whole number, got ${value}`);
      return;
    }
    const min = Math.max(shape.min ?? INT32.min, INT32.min);
    const max = Math.min(shape.max ?? INT32.max, INT32.max);
    if (value < min) this.report(`must be at least ${min}, got ${value}`);
    else if (value > max) this.report(`must be at most ${max}, got ${value}`);
  }

  private list(value: unknown, shape: CompactShape): void {
    if (!Array.isArray(value)) {
      this.report(`expected a list, got ${describeJsonType(value)}`);
      return;
    }
    this.length(value.length, shape, 'items');
    const member = shape.member as string;
    for (let i = 0; i < value.length; i++) {
      this.path.push(i);
      this.visit(value[i], member);
      this.path.pop();
    }
  }

  private map(value: unknown, shape: CompactShape): void {
    if (!isObject(value)) {
      this.report(`expected an object, got ${describeJsonType(value)}`);
      return;
    }
    const entries = Object.entries(value);
    this.length(entries.length, shape, 'entries');
    for (const [key, member] of entries) {
      this.path.push(key);
      if (shape.key) this.visit(key, shape.key);
      this.visit(member, shape.value as string);
      this.path.pop();
    }
  }
}

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
  const walker = new ModelWalker(model);
  walker.visit(value, shape);
  if (shape === 'RegisterTaskDefinitionRequest') walker.problems.push(...checkEcsLimits(value));
  return walker.problems;
}
