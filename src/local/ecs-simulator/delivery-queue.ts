/**
 * At-least-once delivery as EventBridge gives it: events come out in emission order unless the
 * fault injector holds one back (`delay`, so later events overtake it) or enqueues it twice
 * (`duplicate`). The random source is seeded so a run can be replayed.
 */
export class DeliveryQueue<T> {
  /** `hold`: how many later events may still overtake this one. */
  private readonly pending: { event: T; hold: number }[] = [];
  private emitted = 0;
  private delivered = 0;

  constructor(
    private readonly random: () => number = () => 1,
    private readonly faults: { delay: number; duplicate: number } = { delay: 0, duplicate: 0 },
  ) {}

  /** Enqueues one emitted event, possibly delayed and/or duplicated. */
  push(event: T): void {
    this.emitted += 1;
    const copies = this.random() < this.faults.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delayed = this.random() < this.faults.delay;
      // A delayed event lets a few later ones overtake it, which is how reordering shows up.
      const hold = delayed ? 1 + Math.floor(this.random() * 5) : 0;
      this.pending.push({ event: structuredClone(event), hold });
    }
  }

  /** The next event to deliver, or undefined when the queue is empty. */
  next(): T | undefined {
    if (this.pending.length === 0) return undefined;
    let index = this.pending.findIndex((p) => p.hold === 0);
    // Every held event ahead of the one delivered has been overtaken once more.
    for (const p of this.pending.slice(0, index < 0 ? this.pending.length : index)) p.hold -= 1;
    // Nothing is free: deliver the oldest rather than stall.
    if (index < 0) index = 0;
    const [item] = this.pending.splice(index, 1);
    this.delivered += 1;
    return item?.event;
  }

  /** Takes every event currently queued, in delivery order. */
  drain(): T[] {
    const out: T[] = [];
    for (let e = this.next(); e !== undefined; e = this.next()) out.push(e);
    return out;
  }

  get size(): number {
    return this.pending.length;
  }

  get stats(): { emitted: number; delivered: number; pending: number } {
    return { emitted: this.emitted, delivered: this.delivered, pending: this.pending.length };
  }
}
