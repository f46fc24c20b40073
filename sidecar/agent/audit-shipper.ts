import { AuditSchema } from '../../src/audit/audit.js';
import { type Clock, systemClock } from './clock.js';
import type { DiskBuffer } from './disk-buffer.js';
import { AuditShipError } from './errors.js';
import { type HttpFetch, type HttpResponse, nodeHttpFetch } from './http-client.js';
import { type AgentLogger, silentLogger } from './log.js';
import { enrich, type TaskFacts } from './metadata.js';

export interface AuditShipperOptions {
  policyUrl: string;
  token: string;
  buffer: DiskBuffer;
  /** Facts from the task metadata endpoint, added to audits that lack them. */
  facts: () => Promise<TaskFacts>;
  batchMaxRecords: number;
  batchMaxBytes: number;
  /** Wait between two looks at an empty buffer. */
  flushMs: number;
  retryMaxMs: number;
  fetch?: HttpFetch;
  clock?: Clock;
  logger?: AgentLogger;
}

/** Envelope bytes around the audits in a request body. */
const ENVELOPE = Buffer.byteLength('{"audits":[]}');

/**
 * Sends buffered audits to `POST /v1/audits` in batches (≤ batchMaxRecords, ≤ batchMaxBytes of
 * body), and commits a batch in the disk buffer only once the service has taken it. Network errors,
 * 5xx, 429 and refused tokens are retried with capped exponential backoff and jitter; the audits
 * wait on disk meanwhile. Entries the service reports as failed are sent again; a batch the service
 * rejects as malformed (400/413) cannot succeed by retrying and is counted as rejected.
 */
export class AuditShipper {
  private readonly clock: Clock;
  private readonly logger: AgentLogger;
  private attempt = 0;
  readonly stats = {
    shipped: 0,
    rejected: 0,
    batches: 0,
    retries: 0,
    lastError: undefined as string | undefined,
  };

  constructor(private readonly options: AuditShipperOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Ships until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const progressed = await this.shipOnce();
      if (progressed === 'idle') await this.clock.sleep(this.options.flushMs, signal);
      else if (progressed === 'failed') await this.clock.sleep(this.backoff(), signal);
    }
  }

  /** Ships everything buffered until the buffer is empty or a batch fails; for shutdown and tests. */
  async drain(): Promise<boolean> {
    for (;;) {
      const result = await this.shipOnce();
      if (result === 'idle') return true;
      if (result === 'failed') return false;
    }
  }

  private backoff(): number {
    const base = Math.min(this.options.retryMaxMs, 200 * 2 ** Math.min(this.attempt, 20));
    return Math.round(base * (0.5 + 0.5 * this.clock.random()));
  }

  /** Sends the oldest batch; 'idle' when there was nothing to send. */
  async shipOnce(): Promise<'idle' | 'shipped' | 'failed'> {
    const { buffer } = this.options;
    const batch = await buffer.peek(this.options.batchMaxRecords, this.options.batchMaxBytes);
    if (batch.lines.length === 0) return 'idle';
    const facts = await this.options.facts();
    const audits: string[] = [];
    let bytes = ENVELOPE;
    let end = batch.start;
    let rejected = 0;
    for (const line of batch.lines) {
      const lineEnd = end + Buffer.byteLength(line) + 1;
      let json: string;
      try {
        json = JSON.stringify(enrich(AuditSchema.parse(JSON.parse(line)), facts));
      } catch {
        // The tailer only buffers valid audits; a line that no longer parses (schema change across an upgrade) cannot be sent.
        rejected++;
        end = lineEnd;
        continue;
      }
      const added = Buffer.byteLength(json) + (audits.length > 0 ? 1 : 0);
      if (audits.length > 0 && bytes + added > this.options.batchMaxBytes) break;
      audits.push(json);
      bytes += added;
      end = lineEnd;
    }
    try {
      if (audits.length > 0) await this.post(audits);
    } catch (error) {
      const shipError = error instanceof AuditShipError ? error : undefined;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      if (shipError && !shipError.retryable) {
        this.stats.rejected += audits.length + rejected;
        this.logger.error('audit batch rejected by the policy service; dropped', {
          audits: audits.length,
          status: shipError.status,
          error: shipError.message,
        });
        await buffer.commit(end);
        return 'shipped';
      }
      this.attempt++;
      this.stats.retries++;
      this.logger.warn('audit batch not delivered; will retry', {
        audits: audits.length,
        attempt: this.attempt,
        error: this.stats.lastError,
      });
      return 'failed';
    }
    this.attempt = 0;
    this.stats.shipped += audits.length;
    this.stats.rejected += rejected;
    this.stats.batches++;
    await buffer.commit(end);
    return 'shipped';
  }

  /** One POST; resolves once every audit in it is accepted (failed entries are resent here). */
  private async post(audits: string[]): Promise<void> {
    let pending = audits;
    for (let round = 0; ; round++) {
      let response: HttpResponse;
      try {
        response = await (this.options.fetch ?? nodeHttpFetch)(`${this.options.policyUrl}/v1/audits`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
          body: `{"audits":[${pending.join(',')}]}`,
          signal: AbortSignal.timeout(15_000),
        });
      } catch (cause) {
        throw new AuditShipError(
          `policy service unreachable: ${cause instanceof Error ? cause.message : String(cause)}`,
          undefined,
          true,
          { cause },
        );
      }
      const text = await response.text().catch(() => '');
      if (response.status === 400 || response.status === 413 || response.status === 422) {
        throw new AuditShipError(
          `policy service refused the batch: HTTP ${response.status}`,
          response.status,
          false,
        );
      }
      if (response.status < 200 || response.status >= 300) {
        throw new AuditShipError(`policy service answered HTTP ${response.status}`, response.status, true);
      }
      const rejected = rejectedCount(text);
      if (rejected > 0) {
        // Invalid, or not this token's to send: resending cannot help.
        this.stats.rejected += rejected;
        this.logger.warn('audits rejected by the policy service', { rejected });
      }
      const failed = failedIndexes(text, pending.length);
      if (failed.length === 0) return;
      if (round >= 4) {
        throw new AuditShipError(
          `${failed.length} audits still failing after ${round + 1} attempts`,
          response.status,
          true,
        );
      }
      pending = failed.map((i) => pending[i]).filter((a): a is string => a !== undefined);
      // Only the failed entries are resent, so their accepted neighbours are not duplicated on the bus.
      await this.clock.sleep(this.backoffFor(round));
    }
  }

  private backoffFor(round: number): number {
    return Math.min(this.options.retryMaxMs, 100 * 2 ** round);
  }
}

/** How many entries the service refused for good (`rejected: [...]`). */
function rejectedCount(body: string): number {
  try {
    const rejected = (JSON.parse(body) as { rejected?: unknown }).rejected;
    return Array.isArray(rejected) ? rejected.length : 0;
  } catch {
    return 0;
  }
}

/** Indexes of the entries the service reports as failed (`failed: [{index}]` or `failed: [n]`). */
function failedIndexes(body: string, count: number): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const failed = (parsed as { failed?: unknown }).failed;
  if (!Array.isArray(failed)) return [];
  const indexes = failed
    .map((f) => (typeof f === 'number' ? f : (f as { index?: unknown } | null)?.index))
    .filter((i): i is number => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < count);
  return [...new Set(indexes)];
}
