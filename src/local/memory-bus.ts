import type { BusEntry, EventBus, PutResult } from '../aws/event-bus.js';

/** A bus that keeps entries in memory (tests, `simulate`); `onPut` sees each entry as it arrives. */
export class MemoryBus implements EventBus {
  readonly entries: BusEntry[] = [];

  constructor(private readonly onPut?: (entry: BusEntry) => void) {}

  async put(entries: readonly BusEntry[]): Promise<PutResult> {
    for (const e of entries) {
      this.entries.push(structuredClone(e));
      this.onPut?.(e);
    }
    return { failed: [] };
  }
}
