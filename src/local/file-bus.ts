import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BusEntry, EventBus, PutResult } from '../aws/event-bus.js';

/** One line of the local bus file: the shape EventBridge delivers to targets. */
export interface LocalBusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** Options of {@link FileBus}. */
export interface FileBusOptions {
  /** The NDJSON file events are appended to (e.g. `DIR/events.ndjson`). */
  path: string;
  account?: string;
  region?: string;
  /** Clock (default: now); stamps entries that carry no time. */
  now?: () => Date;
  /** Told about each event once it is written (the local stack prints audits from here). */
  onEvent?: (event: LocalBusEvent) => void;
}

/**
 * The local stack's bus: appends each entry as one EventBridge-shaped JSON line to a file. One
 * `put` is one append call (lines of a put stay together) and puts are serialised, so concurrent
 * writers in the process never interleave partial lines.
 */
export class FileBus implements EventBus {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FileBusOptions) {}

  put(entries: readonly BusEntry[]): Promise<PutResult> {
    const run = this.queue.then(() => this.append(entries));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async append(entries: readonly BusEntry[]): Promise<PutResult> {
    if (entries.length === 0) return { failed: [] };
    const events: LocalBusEvent[] = entries.map((entry) => ({
      version: '0',
      id: randomUUID(),
      'detail-type': entry.detailType,
      source: entry.source,
      account: this.options.account ?? '000000000000',
      time: entry.time ?? (this.options.now?.() ?? new Date()).toISOString(),
      region: this.options.region ?? 'local',
      resources: entry.resources ?? [],
      detail: entry.detail ?? {},
    }));
    try {
      await mkdir(dirname(this.options.path), { recursive: true });
      await appendFile(this.options.path, events.map((e) => `${JSON.stringify(e)}\n`).join(''), {
        mode: 0o600,
      });
    } catch (error) {
      const message = `could not append to ${this.options.path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
      return { failed: entries.map((entry) => ({ entry, error: message })) };
    }
    for (const event of events) this.options.onEvent?.(event);
    return { failed: [] };
  }
}
