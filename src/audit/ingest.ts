import { z } from 'zod';
import { BUS_SOURCE, type BusEntry, DETAIL_TYPE, type EventBus } from '../aws/event-bus.js';
import { ANY_FAMILY, type DefenderTokenClaims } from '../policy/defender-token.js';
import { formatZodIssues } from '../taskdef/format-issues.js';
import { type Audit, AuditSchema } from './audit.js';

/** Limits of one `POST /v1/audits` batch. */
export const AUDIT_BATCH_MAX_AUDITS = 100;
export const AUDIT_BATCH_MAX_BYTES = 256 * 1024;

/**
 * A batch as sent by the agent: `{"audits": [...]}` (or a bare array). Entries stay `unknown` here:
 * each is validated on its own so that one bad audit never costs its valid neighbours.
 */
export const AuditBatchSchema = z.preprocess(
  (value) => (Array.isArray(value) ? { audits: value } : value),
  z.strictObject({ audits: z.array(z.unknown()).max(AUDIT_BATCH_MAX_AUDITS) }),
);
export type AuditBatch = z.infer<typeof AuditBatchSchema>;

/** One audit of the batch that was not put on the bus, by its index in the batch. */
export const IngestFailureSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  error: z.string(),
});
export type IngestFailure = z.infer<typeof IngestFailureSchema>;

/**
 * The answer to a batch (202): `failed` entries hit a bus error and should be sent again (the agent
 * keeps them); `rejected` entries are invalid or not the token's to send and must not be resent.
 */
export const IngestResultSchema = z.strictObject({
  accepted: z.number().int().nonnegative(),
  failed: z.array(IngestFailureSchema),
  rejected: z.array(IngestFailureSchema),
});
export type IngestResult = z.infer<typeof IngestResultSchema>;

/**
 * Validates each audit, stamps it with what the token proves (account, family), and puts the valid
 * ones on the bus as `ECS Runtime Audit` events. An audit naming another family or account than
 * the token is rejected: a token speaks only for its own family (an account-wide `*` token for any
 * family of its account).
 */
export async function ingestAudits(
  batch: AuditBatch,
  claims: DefenderTokenClaims,
  bus: EventBus,
): Promise<IngestResult> {
  const rejected: IngestFailure[] = [];
  const valid: { index: number; entry: BusEntry }[] = [];
  batch.audits.forEach((raw, index) => {
    const parsed = AuditSchema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      const problems = formatZodIssues(parsed.error, { prefix: ['audits', index] });
      rejected.push({ index, error: problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
      return;
    }
    const audit = parsed.data;
    if (claims.family !== ANY_FAMILY && audit.family !== claims.family) {
      rejected.push({
        index,
        error: `audits[${index}].family: "${audit.family}" is not the token's family "${claims.family}"`,
      });
      return;
    }
    if (audit.account !== undefined && audit.account !== claims.account) {
      rejected.push({ index, error: `audits[${index}].account: not the token's account ${claims.account}` });
      return;
    }
    const stamped: Audit = { ...audit, account: claims.account };
    valid.push({
      index,
      entry: {
        source: BUS_SOURCE,
        detailType: DETAIL_TYPE.audit,
        detail: stamped,
        time: stamped.time,
        ...(stamped.task?.startsWith('arn:') ? { resources: [stamped.task] } : {}),
      },
    });
  });
  const failed: IngestFailure[] = [];
  if (valid.length > 0) {
    const indexOf = new Map(valid.map((v) => [v.entry, v.index]));
    let result: Awaited<ReturnType<EventBus['put']>>;
    try {
      result = await bus.put(valid.map((v) => v.entry));
    } catch (error) {
      const message = error instanceof Error ? error.message : 'the event bus failed';
      result = { failed: valid.map((v) => ({ entry: v.entry, error: message })) };
    }
    for (const f of result.failed) {
      const index = indexOf.get(f.entry);
      if (index !== undefined) failed.push({ index, error: f.error });
    }
  }
  failed.sort((a, b) => a.index - b.index);
  return { accepted: valid.length - failed.length, failed, rejected };
}
