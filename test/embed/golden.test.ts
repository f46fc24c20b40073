import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { stripProtection } from '../../src/embed/strip.js';
import { parseTaskDefinitionInput } from '../../src/taskdef/parse-input.js';
import { validateAgainstModel } from '../../src/taskdef/validate-model.js';
import { asJson, CASE_FILES, ExpectedErrorsSchema, GOLDEN_DIR, goldenCases } from './golden-cases.js';

/**
 * Golden pairs (test/golden/<case>/input.json → expected.json, or expected-errors.json for a
 * rejection). `UPDATE_GOLDEN=1` (npm run golden:update) rewrites them; review the diff.
 */
const update = process.env.UPDATE_GOLDEN === '1';
const cases = goldenCases();
const known = new Set<string>(Object.values(CASE_FILES));

describe('Function: embedTaskDefinition (golden cases)', () => {
  it('finds the golden cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it('keeps no orphan files in test/golden', () => {
    // Prepare
    const loose = readdirSync(GOLDEN_DIR, { withFileTypes: true }).filter((e) => !e.isDirectory());
    const unknown = cases.flatMap((c) =>
      readdirSync(c.dir)
        .filter((f) => !known.has(f))
        .map((f) => `${c.name}/${f}`),
    );
    const both = cases.filter(
      (c) => existsSync(join(c.dir, CASE_FILES.expected)) && existsSync(join(c.dir, CASE_FILES.errors)),
    );
    // Assess
    expect(loose.map((e) => e.name)).toEqual([]);
    expect(unknown).toEqual([]);
    expect(both.map((c) => c.name)).toEqual([]);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const expectedFile = join(testCase.dir, CASE_FILES.expected);
    const errorsFile = join(testCase.dir, CASE_FILES.errors);

    it('matches its golden file', () => {
      // Act
      const result = embedTaskDefinition(testCase.input, testCase.config, testCase.images);
      // Assess
      if (result.output !== undefined) {
        if (update) {
          writeFileSync(expectedFile, asJson(result.output));
          rmSync(errorsFile, { force: true });
        }
        expect(existsSync(errorsFile), 'a rejection was expected (expected-errors.json exists)').toBe(false);
        expect(asJson(result.output)).toBe(readFileSync(expectedFile, 'utf8'));
      } else {
        const actual = { rejection: result.rejection, errors: result.decision.errors ?? [] };
        if (update) {
          writeFileSync(errorsFile, asJson(actual));
          rmSync(expectedFile, { force: true });
        }
        expect(existsSync(expectedFile), `an output was expected, got: ${asJson(actual)}`).toBe(false);
        const expected = ExpectedErrorsSchema.parse(JSON.parse(readFileSync(errorsFile, 'utf8')));
        expect(actual).toEqual(expected);
        expect(result.decision.outcome).toBe('rejected');
        expect(actual.errors.length).toBeGreaterThan(0);
      }
    });

    it('is idempotent and strips back to its input', () => {
      if (!existsSync(expectedFile)) return expect(existsSync(errorsFile)).toBe(true);
      // Prepare
      const expectedText = readFileSync(expectedFile, 'utf8');
      const expected: unknown = JSON.parse(expectedText);
      const input = parseTaskDefinitionInput(testCase.input);
      const output = parseTaskDefinitionInput(expected);
      if (!input.ok || !output.ok) throw new Error('an input with an output, and the output, parse');
      // Act
      const again = embedTaskDefinition(expected, testCase.config, testCase.images);
      const stripped = stripProtection(output.request);
      // Assess
      expect(asJson(again.output)).toBe(expectedText);
      expect(['already-protected', 'skipped']).toContain(again.decision.outcome);
      expect(asJson(stripped)).toBe(asJson(stripProtection(input.request)));
      expect(validateAgainstModel(expected)).toEqual([]);
    });
  });
});
