import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusEntry, EventBus, PutResult } from './event-bus.js';

/** EventBridge's limits: 10 entries per PutEvents call, 256 KiB per call (and so per entry). */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** Error codes that retrying cannot fix; anything else (throttling, internal failure) is retried. */
const PERMANENT_ERRORS = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
]);

/** Options of {@link EventBridgeBus}. */
export interface EventBridgeBusOptions {
  busName: string;
  client?: EventBridgeClient;
  /** Attempts per entry, the first included (default 4). */
  maxAttempts?: number;
  /** First backoff in milliseconds, doubled per attempt with full jitter (default 100). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Prepared {
  entry: BusEntry;
  request: PutEventsRequestEntry;
  bytes: number;
}

/** Entry size as EventBridge counts it: 14 bytes for a time, plus the UTF-8 bytes of the strings. */
export function putEventsEntrySize(request: PutEventsRequestEntry): number {
  const utf8 = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (request.Time ? 14 : 0) +
    utf8(request.Source) +
    utf8(request.DetailType) +
    utf8(request.Detail) +
    (request.Resources ?? []).reduce((sum, r) => sum + utf8(r), 0) +
    utf8(request.EventBusName)
  );
}

/** Packs entries into PutEvents batches of at most 10 entries and under 256 KiB each, in order. */
export function packBatches<T extends { bytes: number }>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (
      current.length === PUT_EVENTS_MAX_ENTRIES ||
      (current.length > 0 && size + item.bytes > PUT_EVENTS_MAX_BYTES)
    ) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The product's EventBridge bus. Puts entries in batches (10 entries, < 256 KiB), retries the
 * entries that failed (and whole calls that threw) with exponential backoff and jitter, and reports
 * what still fails so the caller can keep it. Entries over the size limit fail at once.
 */
export class EventBridgeBus implements EventBus {
  private readonly client: EventBridgeClient;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: EventBridgeBusOptions) {
    this.client = options.client ?? new EventBridgeClient({});
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async put(entries: readonly BusEntry[]): Promise<PutResult> {
    const failed: PutResult['failed'] = [];
    let pending: Prepared[] = [];
    for (const entry of entries) {
      const request: PutEventsRequestEntry = {
        EventBusName: this.options.busName,
        Source: entry.source,
        DetailType: entry.detailType,
        Detail: JSON.stringify(entry.detail ?? {}),
        ...(entry.resources && entry.resources.length > 0 ? { Resources: entry.resources } : {}),
        ...(entry.time ? { Time: new Date(entry.time) } : {}),
      };
      const bytes = putEventsEntrySize(request);
      if (bytes >= PUT_EVENTS_MAX_BYTES) {
        failed.push({ entry, error: `the event is ${bytes} bytes, over EventBridge's limit of 256 KiB` });
      } else pending.push({ entry, request, bytes });
    }
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: { item: Prepared; error: string }[] = [];
      for (const batch of packBatches(pending)) {
        for (const outcome of await this.send(batch)) {
          if (outcome.permanent || attempt >= this.maxAttempts)
            failed.push({ entry: outcome.item.entry, error: outcome.error });
          else retry.push(outcome);
        }
      }
      pending = retry.map((r) => r.item);
      if (pending.length > 0) await this.sleep(this.random() * this.baseDelayMs * 2 ** (attempt - 1));
    }
    return { failed };
  }

  /** One PutEvents call; returns the entries that failed and whether retrying can help. */
  private async send(batch: Prepared[]): Promise<{ item: Prepared; error: string; permanent: boolean }[]> {
    try {
      const out = await this.client.send(new PutEventsCommand({ Entries: batch.map((b) => b.request) }));
      if (!out.FailedEntryCount) return [];
      const failures: { item: Prepared; error: string; permanent: boolean }[] = [];
      batch.forEach((item, i) => {
        const result = out.Entries?.[i];
        // A response without a result for an entry gives no proof it landed: count it as failed.
        if (result?.EventId && !result.ErrorCode) return;
        const code = result?.ErrorCode ?? 'Unknown';
        failures.push({
          item,
          error: `${code}: ${result?.ErrorMessage ?? 'not put'}`.slice(0, 500),
          permanent: PERMANENT_ERRORS.has(code),
        });
      });
      return failures;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      return batch.map((item) => ({
        item,
        error: `${name}: ${message}`.slice(0, 500),
        permanent: PERMANENT_ERRORS.has(name),
      }));
    }
  }
}
