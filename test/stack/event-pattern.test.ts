import { describe, expect, it } from 'vitest';
import { matchesEventPattern, UnsupportedPatternError } from './event-pattern.js';

describe('Function: matchesEventPattern', () => {
  const cases: { name: string; pattern: Record<string, unknown>; event: unknown; matches: boolean }[] = [
    { name: 'exact value', pattern: { source: ['aws.ecs'] }, event: { source: 'aws.ecs' }, matches: true },
    { name: 'other value', pattern: { source: ['aws.ecs'] }, event: { source: 'aws.ec2' }, matches: false },
    { name: 'one of several values', pattern: { a: ['x', 'y'] }, event: { a: 'y' }, matches: true },
    { name: 'missing field', pattern: { source: ['aws.ecs'] }, event: {}, matches: false },
    { name: 'number is not its string', pattern: { n: [5] }, event: { n: '5' }, matches: false },
    {
      name: 'nested field',
      pattern: { detail: { eventName: ['RunTask'] } },
      event: { detail: { eventName: 'RunTask' } },
      matches: true,
    },
    {
      name: 'nested field under a scalar',
      pattern: { detail: { eventName: ['RunTask'] } },
      event: { detail: 'RunTask' },
      matches: false,
    },
    {
      name: 'exists false, absent',
      pattern: { d: { e: [{ exists: false }] } },
      event: { d: {} },
      matches: true,
    },
    {
      name: 'exists false, present',
      pattern: { d: { e: [{ exists: false }] } },
      event: { d: { e: 'AccessDenied' } },
      matches: false,
    },
    {
      name: 'exists false, present but null',
      pattern: { d: { e: [{ exists: false }] } },
      event: { d: { e: null } },
      matches: false,
    },
    {
      name: 'exists false below an absent object',
      pattern: { d: { e: [{ exists: false }] } },
      event: {},
      matches: true,
    },
    { name: 'exists true, present', pattern: { e: [{ exists: true }] }, event: { e: 'x' }, matches: true },
    {
      name: 'exists true on an object',
      pattern: { e: [{ exists: true }] },
      event: { e: { f: 1 } },
      matches: false,
    },
    { name: 'prefix', pattern: { r: [{ prefix: 'us-' }] }, event: { r: 'us-east-1' }, matches: true },
    {
      name: 'prefix mismatch',
      pattern: { r: [{ prefix: 'us-' }] },
      event: { r: 'eu-west-1' },
      matches: false,
    },
    { name: 'suffix', pattern: { f: [{ suffix: '.png' }] }, event: { f: 'a.png' }, matches: true },
    {
      name: 'anything-but value',
      pattern: { s: [{ 'anything-but': 'x' }] },
      event: { s: 'y' },
      matches: true,
    },
    {
      name: 'anything-but same value',
      pattern: { s: [{ 'anything-but': 'x' }] },
      event: { s: 'x' },
      matches: false,
    },
    {
      name: 'anything-but list',
      pattern: { s: [{ 'anything-but': ['x', 'y'] }] },
      event: { s: 'y' },
      matches: false,
    },
    {
      name: 'anything-but prefix',
      pattern: { s: [{ 'anything-but': { prefix: 'ecs-admission' } }] },
      event: { s: 'ecs-admission-role' },
      matches: false,
    },
    {
      name: 'equals-ignore-case',
      pattern: { s: [{ 'equals-ignore-case': 'RunTask' }] },
      event: { s: 'runtask' },
      matches: true,
    },
    {
      name: 'array value, one element matches',
      pattern: { a: ['x'] },
      event: { a: ['w', 'x'] },
      matches: true,
    },
    { name: 'array value, none matches', pattern: { a: ['x'] }, event: { a: ['w', 'v'] }, matches: false },
    {
      name: 'every field must match',
      pattern: { source: ['aws.ecs'], 'detail-type': ['AWS API Call via CloudTrail'] },
      event: { source: 'aws.ecs', 'detail-type': 'ECS Task State Change' },
      matches: false,
    },
  ];

  for (const { name, pattern, event, matches } of cases) {
    it(`${matches ? 'matches' : 'rejects'}: ${name}`, () => {
      // Act
      const result = matchesEventPattern(pattern, event);

      // Assess
      expect(result).toBe(matches);
    });
  }

  it('throws on an operator it does not implement', () => {
    // Prepare
    const pattern = { n: [{ numeric: ['>', 0] }] };

    // Act / Assess
    expect(() => matchesEventPattern(pattern, { n: 1 })).toThrow(UnsupportedPatternError);
  });
});
