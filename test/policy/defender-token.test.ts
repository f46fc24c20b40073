import { describe, expect, it } from 'vitest';
import { mintDefenderToken, verifyDefenderToken } from '../../src/policy/defender-token.js';
import { TokenError } from '../../src/policy/errors.js';

const key = 'k'.repeat(32);
const now = Date.parse('2026-11-22T00:00:00Z');

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenError) return error.reason;
    throw error;
  }
  return 'none';
}

describe('Function: verifyDefenderToken', () => {
  it('returns the claims of a token it minted', () => {
    const token = mintDefenderToken({ account: '123456789012', family: 'web', ttlSeconds: 60, now }, key);
    expect(verifyDefenderToken(token, key, { now: now + 59_000, family: 'web' })).toEqual({
      account: '123456789012',
      family: 'web',
      iat: now / 1000,
      exp: now / 1000 + 60,
    });
  });

  it('refuses a token signed with another key as invalid', () => {
    const token = mintDefenderToken({ account: '123456789012', family: 'web', now }, 'x'.repeat(32));
    expect(failure(() => verifyDefenderToken(token, key, { now }))).toBe('invalid');
  });

  it('refuses a token whose claims were altered as invalid', () => {
    const token = mintDefenderToken({ account: '123456789012', family: 'web', now }, key);
    const [p, , s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ account: '123456789012', family: 'admin', iat: 0, exp: 9e9 }),
    ).toString('base64url');
    expect(failure(() => verifyDefenderToken(`${p}.${forged}.${s}`, key, { now }))).toBe('invalid');
  });

  it.each(['', 'garbage', 'eadt1..', 'eadt1.a.b.c', 'Bearer x'])(
    'refuses the malformed token %j as invalid',
    (t) => {
      expect(failure(() => verifyDefenderToken(t, key, { now }))).toBe('invalid');
    },
  );

  it('refuses an expired token', () => {
    const token = mintDefenderToken({ account: '123456789012', family: 'web', ttlSeconds: 60, now }, key);
    expect(failure(() => verifyDefenderToken(token, key, { now: now + 60_000 }))).toBe('expired');
  });

  it('refuses a token of another family as forbidden', () => {
    const token = mintDefenderToken({ account: '123456789012', family: 'web', now }, key);
    expect(failure(() => verifyDefenderToken(token, key, { now, family: 'db' }))).toBe('forbidden');
  });

  it('accepts tokens minted with a previous key during rotation', () => {
    const old = 'o'.repeat(32);
    const token = mintDefenderToken({ account: '123456789012', family: 'web', now }, old);
    expect(verifyDefenderToken(token, [key, old], { now }).family).toBe('web');
  });

  it('refuses to mint for a malformed account or family', () => {
    expect(() => mintDefenderToken({ account: '12', family: 'web' }, key)).toThrow(/12-digit/);
    expect(() => mintDefenderToken({ account: '123456789012', family: 'a:b' }, key)).toThrow(/family/);
    expect(() => mintDefenderToken({ account: '123456789012', family: 'web' }, 'short')).toThrow(/32 bytes/);
  });
});

describe('Function: verifyDefenderToken (account-wide)', () => {
  it('lets an account-wide token read any family', () => {
    const token = mintDefenderToken({ account: '123456789012', family: '*', now }, key);
    expect(verifyDefenderToken(token, key, { now, family: 'anything' }).family).toBe('*');
  });
});
