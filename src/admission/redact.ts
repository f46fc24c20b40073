/** Keys whose values are secrets wherever they appear (case-insensitive, exact or as a suffix). */
const SECRET_KEY = /(token|secret|password|passwd|credential|apikey|api_key|authorization|privatekey)$/i;
const REDACTED = '[redacted]';

/**
 * Returns a copy of `value` fit for logs: every `environment` entry's value (task definitions carry
 * credentials there), every value under a secret-looking key, and the agent token variable are
 * replaced; `secrets` keep their `valueFrom` (an ARN, not the secret). Cycles are cut.
 */
export function redact(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'environment' && Array.isArray(v)) {
      out[key] = v.map((e) =>
        e !== null && typeof e === 'object' && 'value' in e
          ? { ...(e as object), value: REDACTED }
          : redact(e, seen),
      );
    } else if (SECRET_KEY.test(key) && (typeof v === 'string' || typeof v === 'number')) {
      out[key] = REDACTED;
    } else if (key === 'sidecarEnvironment' && v !== null && typeof v === 'object') {
      out[key] = Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED]));
    } else {
      out[key] = redact(v, seen);
    }
  }
  return out;
}
