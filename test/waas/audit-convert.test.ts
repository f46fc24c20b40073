import { describe, expect, it } from 'vitest';
import { AuditSchema } from '../../src/audit/audit.js';
import { modsecToAudit, redactData, redactUri } from '../../src/waas/audit-convert.js';

const context = { family: 'web', container: 'app', rule: 'waas-web' };

function record(httpCode: number, messages: { ruleId: string; message: string; data: string }[]) {
  return {
    transaction: {
      client_ip: '203.0.113.9',
      time_stamp: 'Sun Nov 22 00:36:49 2026',
      unique_id: '1795',
      request: { method: 'POST', uri: '/login?user=bob&token=abc123' },
      response: { http_code: httpCode },
      messages: messages.map((m) => ({ message: m.message, details: { ruleId: m.ruleId, data: m.data } })),
    },
  };
}

describe('Function: modsecToAudit', () => {
  it('makes a prevent audit of a blocked request with rule ids, uri, method and source', () => {
    // Act
    const audit = modsecToAudit(
      record(471, [
        {
          ruleId: '942100',
          message: 'SQL Injection Attack Detected via libinjection',
          data: 'Matched Data: s&sos found within ARGS:q: 1 union select',
        },
        { ruleId: '10198', message: 'Inbound Anomaly Score Exceeded (Total Score: 5)', data: '' },
      ]),
      context,
    );

    // Assess
    expect(AuditSchema.parse(audit)).toMatchObject({
      time: '2026-11-22T00:36:49.000Z',
      kind: 'waas',
      effect: 'prevent',
      rule: 'waas-web',
      family: 'web',
      container: 'app',
      details: { ruleIds: ['942100', '10198'], method: 'POST', source: '203.0.113.9', status: 403 },
    });
    expect(audit?.message).toMatch(
      /^Blocked: SQL Injection Attack Detected via libinjection \(rule 942100\) in POST \/login/,
    );
  });

  it('makes an alert audit when the request was let through', () => {
    // Act
    const audit = modsecToAudit(record(200, [{ ruleId: '941100', message: 'XSS', data: '' }]), context);

    // Assess
    expect(audit?.effect).toBe('alert');
    expect(audit?.details.status).toBe(200);
  });

  it('returns nothing for a record without rule messages', () => {
    // Act / Assess
    expect(modsecToAudit(record(403, []), context)).toBeUndefined();
  });

  it('withholds credential values from the uri and the matched data', () => {
    // Act
    const audit = modsecToAudit(
      record(471, [
        {
          ruleId: '942100',
          message: 'SQLi',
          data: "Matched Data: x found within REQUEST_HEADERS:Authorization: Bearer eyJsecret' or 1=1",
        },
        {
          ruleId: '941100',
          message: 'XSS',
          data: 'Matched Data: x found within REQUEST_COOKIES:session: s3cr3t<script>',
        },
        {
          ruleId: '942110',
          message: 'SQLi',
          data: "Matched Data: x found within ARGS:password: hunter2' or '1'='1",
        },
      ]),
      context,
    );

    // Assess
    const text = JSON.stringify(audit);
    expect(text).not.toContain('eyJsecret');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc123');
    expect(audit?.details.uri).toBe('/login?user=bob&token=[REDACTED]');
  });
});

describe('Function: redactUri / redactData', () => {
  it('keeps ordinary parameters and cuts long matched data', () => {
    // Act / Assess
    expect(redactUri('/search?q=shoes&page=2')).toBe('/search?q=shoes&page=2');
    expect(redactUri('/x?api_key=1&API-KEY=2&a=3')).toBe('/x?api_key=[REDACTED]&API-KEY=[REDACTED]&a=3');
    expect(redactData(`Matched Data: a found within ARGS:q: ${'x'.repeat(500)}`).length).toBeLessThanOrEqual(
      201,
    );
  });
});
