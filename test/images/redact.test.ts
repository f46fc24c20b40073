import { describe, expect, it } from 'vitest';
import { SecretRedactor } from '../../src/images/redact.js';

describe('Function: SecretRedactor.redact', () => {
  it('replaces known secrets, their base64 form and any Authorization value', () => {
    // Prepare
    const redactor = new SecretRedactor();
    redactor.add('hunter2-password');
    redactor.add('user:hunter2-password');
    const b64 = Buffer.from('user:hunter2-password').toString('base64');

    // Act
    const out = redactor.redact(
      `bad password hunter2-password; header Basic ${b64}; Bearer abc.def.ghijklmnop`,
    );

    // Assess
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain(b64);
    expect(out).not.toContain('abc.def.ghijklmnop');
    expect(out).toContain('[REDACTED]');
  });
});
