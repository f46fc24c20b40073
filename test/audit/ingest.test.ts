import { describe, expect, it } from 'vitest';
import { AuditBatchSchema, ingestAudits } from '../../src/audit/ingest.js';
import type { EventBus } from '../../src/aws/event-bus.js';
import { MemoryBus } from '../support/memory-bus.js';

const claims = { account: '123456789012', family: 'web', iat: 0, exp: 1 };
const audit = (container: string) => ({
  time: '2026-11-22T00:00:00Z',
  family: 'web',
  container,
  kind: 'dns',
  effect: 'alert',
  rule: null,
  message:
    'DNS resolution of domain name yahoo.com triggered by /usr/bin/wget explicitly denied by a runtime rule',
});

describe('Function: ingestAudits', () => {
  it('accepts a bare array and an {audits} object alike', () => {
    expect(AuditBatchSchema.parse([1])).toEqual({ audits: [1] });
    expect(AuditBatchSchema.parse({ audits: [1] })).toEqual({ audits: [1] });
    expect(AuditBatchSchema.safeParse({ audits: [], extra: 1 }).success).toBe(false);
  });

  it('stamps the account and fills in the details default', async () => {
    const bus = new MemoryBus();
    const result = await ingestAudits({ audits: [audit('a')] }, claims, bus);
    expect(result).toEqual({ accepted: 1, failed: [], rejected: [] });
    expect(bus.entries[0]?.detail).toEqual({ ...audit('a'), account: '123456789012', details: {} });
    expect(bus.entries[0]?.time).toBe('2026-11-22T00:00:00Z');
  });

  it('reports every valid audit as failed, with the bus error, when the bus throws', async () => {
    const bus: EventBus = { put: () => Promise.reject(new Error('bus down')) };
    const result = await ingestAudits({ audits: [audit('a'), { bad: 1 }, audit('b')] }, claims, bus);
    expect(result.accepted).toBe(0);
    expect(result.failed).toEqual([
      { index: 0, error: 'bus down' },
      { index: 2, error: 'bus down' },
    ]);
    expect(result.rejected.map((r) => r.index)).toEqual([1]);
  });
});
