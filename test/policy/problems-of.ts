import { RulesValidationError } from '../../src/policy/errors.js';

/** The `path: message` lines of the RulesValidationError `fn` throws (fails if it throws none). */
export function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof RulesValidationError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a RulesValidationError');
}
