import { z } from 'zod';

/** Probabilities (0..1) of each injected fault; absent = never. */
export const FaultSpecSchema = z
  .object({
    /** `ThrottlingException` (HTTP 400) instead of serving the call. */
    throttle: z.number().min(0).max(1).default(0),
    /** `ServerException` (HTTP 500) instead of serving the call. */
    'server-error': z.number().min(0).max(1).default(0),
    /** RegisterTaskDefinition fails with the concurrent-revision `ClientException`. */
    'concurrent-revision': z.number().min(0).max(1).default(0),
    /** An emitted event is held back behind later ones (reordering). */
    delay: z.number().min(0).max(1).default(0),
    /** An emitted event is delivered twice. */
    duplicate: z.number().min(0).max(1).default(0),
  })
  .strict();
export type FaultSpec = z.infer<typeof FaultSpecSchema>;

/** Raised for a `--faults` string that does not parse; the message names the bad part. */
export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

/**
 * Parses `throttle=0.2,server-error=0.05,concurrent-revision=0.1,duplicate=0.3` (the `--faults`
 * syntax). Unknown names and values outside 0..1 are refused, naming the part.
 */
export function parseFaultSpec(text: string): FaultSpec {
  const raw: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value, ...rest] = part.split('=');
    const n = Number(value);
    if (!name || value === undefined || rest.length > 0 || value.trim() === '' || !Number.isFinite(n)) {
      throw new FaultSpecError(`--faults: "${part}" is not NAME=PROBABILITY (e.g. throttle=0.2)`);
    }
    raw[name.trim()] = n;
  }
  const parsed = FaultSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || (issue && 'keys' in issue ? String(issue.keys) : '');
    throw new FaultSpecError(
      `--faults: ${where}: ${issue?.message ?? 'invalid'} (known: throttle, server-error, concurrent-revision, delay, duplicate; values 0..1)`,
    );
  }
  return parsed.data;
}
