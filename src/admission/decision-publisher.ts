import { BUS_SOURCE, DETAIL_TYPE, type EventBus } from '../aws/event-bus.js';
import type { Decision } from '../embed/decision.js';
import { DecisionDeliveryError } from './errors.js';
import { redact } from './redact.js';

/** A structured logger (Powertools' Logger fits), given already redacted data. */
export interface StructuredLog {
  info(message: string, data: Record<string, unknown>): void;
}

/** The sweep's one summary record per run. */
export interface SweepSummary {
  kind: 'sweep';
  mode: string;
  startedAt: string;
  finishedAt: string;
  /** False when the run stopped early (time or registration budget); the next run continues. */
  complete: boolean;
  servicesChecked: number;
  /** Per outcome: protected, already-protected, skipped, rejected, failed. */
  counts: Record<string, number>;
  registrations: number;
}

/**
 * Logs each decision (redacted: task definitions carry secrets in environment values) and puts it
 * on the bus. Entries the bus still refuses after its retries fail the invocation, so EventBridge
 * retries the event rather than the record being lost.
 */
export class DecisionPublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly log: StructuredLog,
  ) {}

  async publish(decisions: readonly Decision[]): Promise<void> {
    if (decisions.length === 0) return;
    for (const d of decisions) this.log.info('admission decision', { decision: redact(d) });
    const result = await this.bus.put(
      decisions.map((d) => ({
        source: BUS_SOURCE,
        detailType: DETAIL_TYPE.decision,
        detail: redact(d),
        resources: [d.source.arn, d.protectedRevision?.arn].filter((r): r is string => r !== undefined),
        ...(d.time ? { time: d.time } : {}),
      })),
    );
    if (result.failed.length > 0) {
      throw new DecisionDeliveryError(result.failed.length, result.failed[0]?.error ?? 'unknown');
    }
  }

  async publishSummary(summary: SweepSummary): Promise<void> {
    this.log.info('admission sweep', { summary });
    const result = await this.bus.put([
      { source: BUS_SOURCE, detailType: DETAIL_TYPE.sweep, detail: summary, time: summary.finishedAt },
    ]);
    if (result.failed.length > 0) {
      throw new DecisionDeliveryError(result.failed.length, result.failed[0]?.error ?? 'unknown');
    }
  }
}
