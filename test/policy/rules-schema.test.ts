import { describe, expect, it } from 'vitest';
import { isValidNetworkPattern, parseRule, parseRulesDocument } from '../../src/policy/rules-schema.js';
import { problemsOf } from './problems-of.js';

describe('Function: parseRule', () => {
  it('rejects a section with both allow and deny, naming the field', () => {
    const problems = problemsOf(() =>
      parseRule({ name: 'r', processes: { effect: 'prevent', allow: ['a'], deny: ['b'] } }),
    );
    expect(problems).toEqual([
      'processes.deny: set either allow (everything else is denied) or deny (everything else is allowed), not both',
    ]);
  });

  it('rejects alert or prevent without a list', () => {
    expect(problemsOf(() => parseRule({ name: 'r', dns: { effect: 'alert' } }))[0]).toMatch(
      /^dns\.effect: effect "alert" needs a list/,
    );
  });

  it('rejects a list under effect disable', () => {
    expect(
      problemsOf(() => parseRule({ name: 'r', network: { effect: 'disable', deny: ['1.2.3.4'] } }))[0],
    ).toMatch(/^network\.deny: effect "disable" enforces nothing/);
  });

  it('rejects unknown keys at their own path', () => {
    expect(problemsOf(() => parseRule({ name: 'r', scope: { container: ['x'] } }))).toEqual([
      'scope.container: unknown field',
    ]);
  });

  it('rejects an empty scope list because it would match nothing', () => {
    expect(problemsOf(() => parseRule({ name: 'r', scope: { images: [] } }))[0]).toMatch(
      /^scope\.images: an empty list matches nothing/,
    );
  });

  it('rejects an unknown effect and a bad rule name', () => {
    const problems = problemsOf(() =>
      parseRule({ name: 'has space', processes: { effect: 'block', deny: [] } }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^name: /);
    expect(problems[1]).toMatch(/^processes\.effect: "block" is not one of alert, prevent, disable/);
  });

  it('rejects malformed DNS and network patterns', () => {
    const problems = problemsOf(() =>
      parseRule({
        name: 'r',
        dns: { effect: 'alert', deny: ['bad domain'] },
        network: { effect: 'alert', deny: ['10.0.0.0/33', 'host:99999'] },
      }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'dns.deny[0]',
      'network.deny[0]',
      'network.deny[1]',
    ]);
  });
});

describe('Function: parseRulesDocument', () => {
  it('rejects duplicate rule names, pointing at the second one', () => {
    expect(
      problemsOf(() => parseRulesDocument({ rules: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] })),
    ).toEqual(['rules[2].name: duplicate rule name (also rules[0].name): names must be unique']);
  });
});

describe('Function: isValidNetworkPattern', () => {
  it.each([
    ['10.0.0.1', true],
    ['10.0.0.0/8:443', true],
    ['api.example.com:443', true],
    ['*.example.com', true],
    ['[::1]:53', true],
    ['[2001:db8::/32]', true],
    ['2001:db8::1', true],
    ['300.1.1.1', false],
    ['host:0', false],
    ['[zz::1]', false],
    ['a b', false],
  ])('judges %s as %s', (pattern, valid) => {
    expect(isValidNetworkPattern(pattern)).toBe(valid);
  });
});
