/**
 * Enough of EventBridge's event-pattern matching to evaluate this project's rules against recorded
 * events: exact values, `prefix`, `suffix`, `exists`, `anything-but` (value, list or prefix) and
 * `equals-ignore-case`, with EventBridge's semantics for nested objects and array-valued fields
 * (a field matches when any of its elements matches). Any other operator throws, so a pattern that
 * outgrows this matcher makes the tests fail instead of passing by accident.
 */
export type EventPattern = { [key: string]: unknown };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The unsupported operator found in a pattern. */
export class UnsupportedPatternError extends Error {
  constructor(readonly operator: string) {
    super(`event pattern operator "${operator}" is not supported by the test matcher`);
    this.name = 'UnsupportedPatternError';
  }
}

function leafMatches(condition: unknown, value: unknown): boolean {
  if (!isPlainObject(condition)) return condition === value;
  const [operator, ...others] = Object.keys(condition);
  if (operator === undefined || others.length > 0)
    throw new UnsupportedPatternError(JSON.stringify(condition));
  const operand = condition[operator];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && typeof operand === 'string' && value.startsWith(operand);
    case 'suffix':
      return typeof value === 'string' && typeof operand === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' &&
        typeof operand === 'string' &&
        value.toLowerCase() === operand.toLowerCase()
      );
    case 'anything-but': {
      if (isPlainObject(operand)) return !leafMatches(operand, value);
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.some((item) => item === value);
    }
    default:
      throw new UnsupportedPatternError(operator);
  }
}

function isExistsCondition(condition: unknown): condition is { exists: boolean } {
  return isPlainObject(condition) && Object.keys(condition).length === 1 && 'exists' in condition;
}

function fieldMatches(conditions: unknown[], present: boolean, value: unknown): boolean {
  return conditions.some((condition) => {
    if (isExistsCondition(condition)) {
      // EventBridge: `exists` tests for a leaf; an object-valued field does not "exist" as a value.
      return condition.exists ? present && !isPlainObject(value) : !present;
    }
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((item) => leafMatches(condition, item));
  });
}

/** Whether `event` matches `pattern` as an EventBridge rule would decide. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, condition]) => {
    const present = isPlainObject(event) && key in event;
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(condition)) return fieldMatches(condition, present, value);
    if (isPlainObject(condition)) {
      // EventBridge flattens patterns to paths: below an absent object every field is absent (so
      // only `exists: false` can match there); arrays of objects match by element.
      if (!present || value === null) return matchesEventPattern(condition, {});
      const candidates = Array.isArray(value) ? value : [value];
      return candidates.some((item) => isPlainObject(item) && matchesEventPattern(condition, item));
    }
    throw new UnsupportedPatternError(`${key}: ${JSON.stringify(condition)}`);
  });
}
