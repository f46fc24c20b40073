import { mkdir, open, readdir, readFile, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';

const BufferStateSchema = z.object({
  generation: z.number().int().min(0),
  readOffset: z.number().int().min(0),
  dropped: z.number().int().min(0),
});
type BufferState = z.infer<typeof BufferStateSchema>;

export interface DiskBufferOptions {
  dir: string;
  /** Bytes of unsent lines kept at most; lines beyond are dropped and counted. */
  maxBytes: number;
  /** Compact the file once this many bytes at its head have been sent. */
  compactBytes?: number;
}

export interface BufferedBatch {
  lines: string[];
  /** Offset of the first line; line i ends at start + the byte lengths (plus newlines) of lines 0..i. */
  start: number;
  /** Pass to {@link DiskBuffer.commit} once the lines are safely delivered. */
  end: number;
}

/**
 * A bounded, crash-safe FIFO of NDJSON lines on disk. Lines are appended to `buffer.<gen>.ndjson`;
 * `state.json` (replaced atomically) records how far the file has been delivered. Delivery is
 * at-least-once: a crash between delivering and committing resends a batch, never loses one.
 * Compaction writes the unsent tail to the next generation's file before the state names it, so
 * the state always points into a complete file.
 */
export class DiskBuffer {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: DiskBufferOptions,
    private state: BufferState,
    private size: number,
  ) {}

  /** Opens (or creates) the buffer in `options.dir`, repairing a torn last line. */
  static async open(options: DiskBufferOptions): Promise<DiskBuffer> {
    await mkdir(options.dir, { recursive: true });
    const statePath = join(options.dir, 'state.json');
    let state: BufferState = { generation: 0, readOffset: 0, dropped: 0 };
    try {
      state = BufferStateSchema.parse(JSON.parse(await readFile(statePath, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        // A corrupt state file must not stop the agent: start over from the head of the current file.
        state = { generation: 0, readOffset: 0, dropped: 0 };
      }
    }
    const file = join(options.dir, `buffer.${state.generation}.ndjson`);
    for (const name of await readdir(options.dir)) {
      if (/^buffer\.\d+\.ndjson$/.test(name) && name !== `buffer.${state.generation}.ndjson`) {
        await rm(join(options.dir, name), { force: true });
      }
    }
    let size = 0;
    try {
      size = (await stat(file)).size;
    } catch {
      await (await open(file, 'a')).close();
    }
    size = await repairTornTail(file, size);
    if (state.readOffset > size) state.readOffset = size;
    return new DiskBuffer(options, state, size);
  }

  private get file(): string {
    return join(this.options.dir, `buffer.${this.state.generation}.ndjson`);
  }

  /** Bytes appended but not yet committed. */
  get pendingBytes(): number {
    return this.size - this.state.readOffset;
  }

  /** Lines dropped because the buffer was full, since the buffer was created. */
  get dropped(): number {
    return this.state.dropped;
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Appends complete lines (without their newline), durably; returns how many were dropped for lack of room. */
  append(lines: readonly string[]): Promise<{ accepted: number; dropped: number }> {
    return this.serial(async () => {
      const kept: string[] = [];
      let pending = this.pendingBytes;
      let dropped = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line) + 1;
        if (pending + bytes > this.options.maxBytes) {
          dropped++;
          continue;
        }
        pending += bytes;
        kept.push(line);
      }
      if (kept.length > 0) {
        const data = `${kept.join('\n')}\n`;
        const handle = await open(this.file, 'a');
        try {
          await handle.writeFile(data);
          await handle.datasync();
        } finally {
          await handle.close();
        }
        this.size += Buffer.byteLength(data);
      }
      if (dropped > 0) {
        this.state = { ...this.state, dropped: this.state.dropped + dropped };
        await this.saveState();
      }
      return { accepted: kept.length, dropped };
    });
  }

  /** The oldest unsent lines: at most `maxLines`, at most `maxBytes` of line data (at least one line when any is pending). */
  peek(maxLines: number, maxBytes: number): Promise<BufferedBatch> {
    return this.serial(async () => {
      const start = this.state.readOffset;
      const length = Math.min(this.size - start, maxBytes + 1);
      if (length <= 0) return { lines: [], start, end: start };
      const chunk = Buffer.alloc(length);
      const handle = await open(this.file, 'r');
      try {
        await handle.read(chunk, 0, length, start);
      } finally {
        await handle.close();
      }
      const lines: string[] = [];
      let offset = 0;
      while (lines.length < maxLines) {
        const nl = chunk.indexOf(10, offset);
        if (nl < 0) break;
        lines.push(chunk.toString('utf8', offset, nl));
        offset = nl + 1;
      }
      if (lines.length === 0 && this.size > start) {
        // One line longer than a batch: hand it over alone so the queue keeps moving.
        const whole = await readLineAt(this.file, start, this.size);
        return { lines: [whole.line], start, end: start + whole.bytes };
      }
      return { lines, start, end: start + offset };
    });
  }

  /** Marks everything before `end` as delivered. */
  commit(end: number): Promise<void> {
    return this.serial(async () => {
      if (end <= this.state.readOffset) return;
      this.state = { ...this.state, readOffset: Math.min(end, this.size) };
      if (this.state.readOffset === this.size) {
        // Everything sent: start the same file over (a crash after truncate finds readOffset > size and clamps).
        await truncate(this.file, 0);
        this.size = 0;
        this.state = { ...this.state, readOffset: 0 };
      } else if (this.state.readOffset >= (this.options.compactBytes ?? 1024 * 1024)) {
        await this.compact();
        return;
      }
      await this.saveState();
    });
  }

  private async compact(): Promise<void> {
    const oldFile = this.file;
    const next = this.state.generation + 1;
    const nextFile = join(this.options.dir, `buffer.${next}.ndjson`);
    const tail = (await readFile(oldFile)).subarray(this.state.readOffset, this.size);
    await writeFileAtomic(nextFile, tail);
    this.state = { ...this.state, generation: next, readOffset: 0 };
    this.size = tail.length;
    await this.saveState();
    await unlink(oldFile).catch(() => {});
  }

  private saveState(): Promise<void> {
    return writeFileAtomic(join(this.options.dir, 'state.json'), JSON.stringify(this.state));
  }
}

async function repairTornTail(file: string, size: number): Promise<number> {
  if (size === 0) return 0;
  const handle = await open(file, 'r');
  try {
    const window = Math.min(size, 64 * 1024);
    let end = size;
    while (end > 0) {
      const from = Math.max(0, end - window);
      const chunk = Buffer.alloc(end - from);
      await handle.read(chunk, 0, chunk.length, from);
      const nl = chunk.lastIndexOf(10);
      if (nl >= 0) {
        const keep = from + nl + 1;
        if (keep !== size) await truncate(file, keep);
        return keep;
      }
      end = from;
    }
  } finally {
    await handle.close();
  }
  await truncate(file, 0);
  return 0;
}

async function readLineAt(
  file: string,
  start: number,
  size: number,
): Promise<{ line: string; bytes: number }> {
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.alloc(size - start);
    await handle.read(chunk, 0, chunk.length, start);
    const nl = chunk.indexOf(10);
    const end = nl < 0 ? chunk.length : nl;
    return { line: chunk.toString('utf8', 0, end), bytes: nl < 0 ? chunk.length : nl + 1 };
  } finally {
    await handle.close();
  }
}
