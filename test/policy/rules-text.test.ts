import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRulesText } from '../../src/policy/rules-text.js';
import { problemsOf } from './problems-of.js';

describe('Function: parseRulesText', () => {
  it('reads the seeds sample written in YAML', () => {
    // Prepare
    const text = readFileSync(new URL('./fixtures/seeds-sample.yaml', import.meta.url), 'utf8');

    // Act
    const doc = parseRulesText(text);

    // Assess
    expect(doc.rules).toHaveLength(1);
    expect(doc.rules[0]?.scope?.containers).toEqual(['twistlock-fargate-task']);
    expect(doc.rules[0]?.processes).toEqual({ effect: 'prevent', deny: ['/bin/mkdir'] });
  });

  it('reads the same document written in JSON', () => {
    const doc = parseRulesText('{"rules":[{"name":"a","dns":{"effect":"alert","allow":["*.example.com"]}}]}');
    expect(doc.rules[0]?.dns).toEqual({ effect: 'alert', allow: ['*.example.com'] });
  });

  it('reports a syntax error at the document root', () => {
    expect(problemsOf(() => parseRulesText('rules: [\n  - name: a\n'))[0]).toMatch(
      /^\$: not valid YAML or JSON/,
    );
  });

  it('requires the rules list in an empty document', () => {
    expect(problemsOf(() => parseRulesText(''))).toEqual(['rules: required']);
  });
});
