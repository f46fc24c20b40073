import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FileRulesStore } from '../../../src/local/file-rules-store.js';
import { mintDefenderToken } from '../../../src/policy/defender-token.js';
import { tokenAdminAuthenticator } from '../../../src/policy/http/auth.js';
import { createPolicyService } from '../../../src/policy/policy-service.js';
import { MemoryBus } from '../../support/memory-bus.js';

const KEY = 'fuzz-signing-key-0123456789abcdefghij';
const dir = mkdtempSync(join(tmpdir(), 'policy-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Function: createPolicyService (fuzz)', () => {
  it('never answers junk with a 5xx, and always answers JSON errors without stacks', async () => {
    // Prepare
    const errors: unknown[] = [];
    const service = createPolicyService({
      store: new FileRulesStore(dir),
      bus: new MemoryBus(),
      signingKeys: [KEY],
      authenticateAdmin: tokenAdminAuthenticator('admin'),
      checkIntervalMs: 0,
      onError: (error) => errors.push(error),
    });
    const defender = mintDefenderToken({ account: '123456789012', family: 'f' }, KEY);
    const jsonish = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          rules: fc.array(
            fc.dictionary(fc.constantFrom('name', 'scope', 'processes', 'dns', 'x'), fc.jsonValue()),
          ),
        })
        .map((v) => JSON.stringify(v)),
      fc.record({ audits: fc.array(fc.jsonValue(), { maxLength: 5 }) }).map((v) => JSON.stringify(v)),
      fc
        .record({
          name: fc.string(),
          processes: fc.record({ effect: fc.string(), deny: fc.array(fc.string()) }),
        })
        .map((v) => JSON.stringify(v)),
    );
    const request = fc.record({
      method: fc.oneof(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD'), fc.string()),
      path: fc.oneof(
        fc.constantFrom(
          '/v1/policy',
          '/v1/audits',
          '/v1/rules',
          '/v1/rules-order',
          '/v1/rules/a',
          '/v1/health',
          '/',
          '',
        ),
        fc.string().map((s) => `/v1/rules/${s}`),
        fc.string(),
      ),
      query: fc.dictionary(fc.constantFrom('container', 'image', 'family', 'cluster', 'x'), fc.string()),
      headers: fc.record(
        {
          authorization: fc.oneof(
            fc.constant('Bearer admin'),
            fc.constant(`Bearer ${defender}`),
            fc.string(),
          ),
          'content-type': fc.constantFrom('application/json', 'application/yaml', 'text/plain'),
          'if-match': fc.oneof(fc.constant('"0"'), fc.string()),
          'if-none-match': fc.string(),
        },
        { requiredKeys: [] },
      ),
      body: fc.option(jsonish, { nil: undefined }),
    });

    // Act + Assess
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const response = await service.handle(req);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          const body = JSON.parse(response.body) as { error: string; message: string };
          expect(typeof body.error).toBe('string');
          expect(body.message).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: 400 },
    );
    expect(errors).toEqual([]);
  });
});
