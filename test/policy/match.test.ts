import { describe, expect, it } from 'vitest';
import { compileGlob, createRuleMatcher, matchRule } from '../../src/policy/match.js';
import type { Rule } from '../../src/policy/rules-schema.js';

describe('Function: compileGlob', () => {
  it('lets * match any run of characters, including / and .', () => {
    expect(
      compileGlob('123456789012.dkr.ecr.*.amazonaws.com/*')(
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1',
      ),
    ).toBe(true);
  });

  it('treats regular-expression characters literally', () => {
    expect(compileGlob('a.b')('axb')).toBe(false);
    expect(compileGlob('a+(b)*')('a+(b)c')).toBe(true);
  });

  it('is case-sensitive unless asked otherwise', () => {
    expect(compileGlob('Web')('web')).toBe(false);
    expect(compileGlob('*.Example.com', { caseInsensitive: true })('www.example.COM')).toBe(true);
  });
});

describe('Function: matchRule', () => {
  const rules: Rule[] = [
    { name: 'web-prod', scope: { containers: ['web*'], clusters: ['prod-*'] } },
    { name: 'web', scope: { containers: ['web*'] } },
    { name: 'nginx-images', scope: { images: ['nginx:*', '*/nginx:*'] } },
    { name: 'team-a', scope: { families: ['team-a-*'] } },
  ];

  it('returns the first rule whose scope matches, in order', () => {
    expect(matchRule(rules, { container: 'web-1', family: 'f', cluster: 'prod-eu' })?.name).toBe('web-prod');
    expect(matchRule(rules, { container: 'web-1', family: 'f', cluster: 'dev' })?.name).toBe('web');
  });

  it('does not match a restricted dimension whose value is unknown', () => {
    expect(matchRule(rules, { container: 'web-1', family: 'f' })?.name).toBe('web');
    expect(matchRule(rules, { container: 'x', family: 'f' })).toBeUndefined();
  });

  it('matches images and families by pattern', () => {
    expect(matchRule(rules, { container: 'x', family: 'f', image: 'public.ecr.aws/nginx:1.27' })?.name).toBe(
      'nginx-images',
    );
    expect(matchRule(rules, { container: 'x', family: 'team-a-api', image: 'busybox' })?.name).toBe('team-a');
  });

  it('applies a rule without a scope to every container', () => {
    const matcher = createRuleMatcher([{ name: 'all' }]);
    expect(matcher({ container: 'anything', family: 'any' })?.name).toBe('all');
  });
});
