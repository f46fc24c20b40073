import type { BusEntry, EventBus, PutResult } from '../../src/aws/event-bus.js';

/** An EventBus that keeps what it is given; `failWhen` makes chosen entries fail. */
export class MemoryBus implements EventBus {
  readonly entries: BusEntry[] = [];
  constructor(private readonly failWhen: (entry: BusEntry) => boolean = () => false) {}

  async put(entries: readonly BusEntry[]): Promise<PutResult> {
    const failed: PutResult['failed'] = [];
    for (const entry of entries) {
      if (this.failWhen(entry)) failed.push({ entry, error: 'InternalFailure: simulated' });
      else this.entries.push(entry);
    }
    return { failed };
  }
}
