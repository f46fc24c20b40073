import { describe, expect, it } from 'vitest';
import { redact } from '../../src/admission/redact.js';

describe('Function: redact', () => {
  it('replaces environment values, secret-looking keys and sidecar environment, keeping names and ARNs', () => {
    // Prepare
    const input = {
      containerDefinitions: [
        {
          name: 'app',
          environment: [{ name: 'DB_PASSWORD', value: 'hunter2' }],
          secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:t' }],
        },
      ],
      token: 'abc',
      nested: { apiKey: 'k', authorization: 'Bearer x', keep: 'visible' },
      sidecarEnvironment: { HTTPS_PROXY: 'http://user:pw@proxy' },
    };

    // Act
    const out = JSON.stringify(redact(input));

    // Assess
    for (const secret of ['hunter2', '"abc"', 'Bearer x', 'user:pw', '"k"'])
      expect(out).not.toContain(secret);
    expect(out).toContain('DB_PASSWORD');
    expect(out).toContain('arn:aws:secretsmanager:us-east-1:111122223333:secret:t');
    expect(out).toContain('visible');
  });

  it('leaves the input unchanged and survives cycles', () => {
    // Prepare
    const input: Record<string, unknown> = { environment: [{ name: 'A', value: 'b' }] };
    input.self = input;

    // Act
    const out = redact(input) as Record<string, unknown>;

    // Assess
    expect(input.environment).toEqual([{ name: 'A', value: 'b' }]);
    expect(out.self).toBe('[circular]');
  });
});
