import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatPath, formatZodIssues, problemToString } from '../../src/taskdef/format-issues.js';

/** Any schema works: the formatter is shared by the policy rules and config files. */
const ConfigSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  name: z.string().min(3),
  mode: z.enum(['enforce', 'audit']),
  when: z.iso.datetime().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  images: z.array(z.string()).max(2).optional(),
});

function problemsFor(value: unknown, options?: Parameters<typeof formatZodIssues>[1]) {
  const result = ConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) throw new Error('expected a failure');
  return formatZodIssues(result.error, options);
}

describe('Function: formatPath', () => {
  it.each([
    { path: [], text: '$' },
    { path: ['family'], text: 'family' },
    { path: ['containerDefinitions', 1, 'memory'], text: 'containerDefinitions[1].memory' },
    { path: ['dockerLabels', 'com.example.team'], text: 'dockerLabels["com.example.team"]' },
    { path: [0, 'name'], text: '[0].name' },
  ])('writes $text', ({ path, text }) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('Function: formatZodIssues', () => {
  it('says what is wrong with each field in plain words', () => {
    // Act
    const problems = problemsFor({
      port: 70000,
      name: 'ab',
      mode: 'warn',
      when: 'soon',
      images: ['a', 'b', 'c'],
    });

    // Assess
    expect(problems.map(problemToString)).toEqual([
      'port: must be at most 65535',
      'name: must have at least 3 characters',
      'mode: "warn" is not one of enforce, audit',
      'when: expected an ISO 8601 date-time or epoch seconds',
      'images: must have at most 2 items',
    ]);
  });

  it('names missing fields as required and wrong types by their JSON type', () => {
    // Act
    const problems = problemsFor({ port: '80', labels: { a: 1 } });

    // Assess
    expect(problems.map(problemToString)).toEqual([
      'port: expected a number, got a string',
      'name: required',
      'mode: required',
      'labels.a: expected a string, got a number',
    ]);
  });

  it('turns each unknown key into its own problem with the hint and suggestion', () => {
    // Act
    const problems = problemsFor(
      { port: 80, name: 'web', mode: 'audit', prot: 1, extra: 2 },
      {
        unknownFieldHint: '(not a config key)',
        suggestField: (_path, key) => (key === 'prot' ? 'port' : undefined),
      },
    );

    // Assess
    expect(problems).toEqual([
      { path: 'prot', message: 'unknown field (not a config key); did you mean port?' },
      { path: 'extra', message: 'unknown field (not a config key)' },
    ]);
  });

  it('puts the prefix in front of every path', () => {
    // Act
    const problems = problemsFor({ port: 80, name: 'web' }, { prefix: ['settings', 0] });

    // Assess
    expect(problems).toEqual([{ path: 'settings[0].mode', message: 'required' }]);
  });

  it('never quotes a free-text value back', () => {
    // Act
    const problems = problemsFor({ port: 80, name: 12345678, mode: 'audit' });

    // Assess
    expect(JSON.stringify(problems)).not.toContain('12345678');
  });
});
