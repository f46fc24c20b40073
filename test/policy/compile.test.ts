import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRule, processPathSpellings } from '../../src/policy/compile.js';
import { CompiledPolicySchema } from '../../src/policy/compiled-policy.js';
import { matchRule } from '../../src/policy/match.js';
import { parseRulesText } from '../../src/policy/rules-text.js';

const sample = parseRulesText(readFileSync(new URL('./fixtures/seeds-sample.yaml', import.meta.url), 'utf8'));

describe('Function: compileRule', () => {
  it('compiles the seeds sample for twistlock-fargate-task as the issue shows it', () => {
    // Prepare
    const rule = matchRule(sample.rules, {
      container: 'twistlock-fargate-task',
      family: 'twistlock-fargate-task',
    });

    // Act
    const compiled = compileRule(rule, '7');

    // Assess
    expect(compiled).toEqual({
      version: '7',
      rule: 'twistlock-sample',
      processes: { effect: 'prevent', deny: ['/bin/mkdir', '/usr/bin/mkdir'] },
      dns: { effect: 'prevent', deny: ['yahoo.com'] },
      network: { effect: 'disable' },
    });
    expect(CompiledPolicySchema.parse(compiled)).toEqual(compiled);
    expect(compiled.dns).not.toHaveProperty('allow');
  });

  it('gives other containers the default policy', () => {
    const rule = matchRule(sample.rules, { container: 'sidecar', family: 'twistlock-fargate-task' });
    expect(compileRule(rule, '7')).toEqual({
      version: '7',
      rule: null,
      processes: { effect: 'disable' },
      dns: { effect: 'disable' },
      network: { effect: 'disable' },
    });
  });

  it('lower-cases domains, drops the trailing dot and removes duplicates', () => {
    const compiled = compileRule(
      { name: 'r', dns: { effect: 'alert', allow: ['Example.COM.', 'example.com', '*.AWS'] } },
      '1',
    );
    expect(compiled.dns).toEqual({ effect: 'alert', allow: ['example.com', '*.aws'] });
  });

  it('keeps base-name process patterns as written', () => {
    const compiled = compileRule(
      { name: 'r', processes: { effect: 'alert', allow: ['node', '/usr/sbin/nginx'] } },
      '1',
    );
    expect(compiled.processes).toEqual({
      effect: 'alert',
      allow: ['node', '/usr/sbin/nginx', '/sbin/nginx'],
    });
  });
});

describe('Function: processPathSpellings', () => {
  it('adds the /usr spelling of /bin and the reverse', () => {
    expect(processPathSpellings('/bin/mkdir')).toEqual(['/bin/mkdir', '/usr/bin/mkdir']);
    expect(processPathSpellings('/usr/bin/*')).toEqual(['/usr/bin/*', '/bin/*']);
    expect(processPathSpellings('/opt/app/run')).toEqual(['/opt/app/run']);
  });
});
