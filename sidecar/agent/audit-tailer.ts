import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AuditSchema } from '../../src/audit/audit.js';
import { writeFileAtomic } from './atomic-write.js';
import type { DiskBuffer } from './disk-buffer.js';
import { type AgentLogger, silentLogger } from './log.js';

const OffsetsSchema = z.record(
  z.string(),
  z.object({ ino: z.number(), offset: z.number().int().min(0), skipping: z.boolean().default(false) }),
);
type Offsets = z.infer<typeof OffsetsSchema>;

/** Longest audit line accepted; a longer one is skipped and counted as invalid. */
const MAX_LINE_BYTES = 64 * 1024;
const READ_CHUNK = 256 * 1024;

export interface AuditTailerOptions {
  auditDir: string;
  stateDir: string;
  containers: readonly string[];
  buffer: DiskBuffer;
  logger?: AgentLogger;
}

/** Where the launcher of `container` appends its audits. */
export function auditPath(auditDir: string, container: string): string {
  return join(auditDir, `${container}.ndjson`);
}

/**
 * Follows each container's audit file from the offset recorded in `offsets.json` and moves every
 * complete, valid audit line into the disk buffer. The offset is saved only after the lines are in
 * the buffer, so a restart resends at most one read, never skips one. A file that shrinks or is
 * replaced (another inode) is read again from the start.
 */
export class AuditTailer {
  private offsets: Offsets = {};
  private readonly logger: AgentLogger;
  readonly stats = { lines: 0, invalid: 0, dropped: 0 };

  constructor(private readonly options: AuditTailerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  private get offsetsPath(): string {
    return join(this.options.stateDir, 'offsets.json');
  }

  /** Creates the audit files (world-writable: app containers may run as any user) and loads the saved offsets. */
  async init(): Promise<void> {
    await mkdir(this.options.auditDir, { recursive: true });
    await mkdir(this.options.stateDir, { recursive: true });
    for (const container of this.options.containers) {
      const path = auditPath(this.options.auditDir, container);
      await (await open(path, 'a', 0o666)).close();
      // The umask narrows open()'s mode; the launcher of a non-root app must still be able to append.
      await chmod(path, 0o666);
    }
    try {
      this.offsets = OffsetsSchema.parse(JSON.parse(await readFile(this.offsetsPath, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn('audit offsets unreadable; reading audit files from the start', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      this.offsets = {};
    }
  }

  /** Reads what was appended since the last call; returns how many lines went into the buffer. */
  async poll(): Promise<number> {
    let moved = 0;
    for (const container of this.options.containers) moved += await this.pollOne(container);
    return moved;
  }

  private async pollOne(container: string): Promise<number> {
    const path = auditPath(this.options.auditDir, container);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      return 0;
    }
    let position = this.offsets[container];
    if (!position || position.ino !== info.ino || info.size < position.offset) {
      position = { ino: info.ino, offset: 0, skipping: false };
    }
    let moved = 0;
    while (info.size > position.offset) {
      const length = Math.min(info.size - position.offset, READ_CHUNK);
      const chunk = Buffer.alloc(length);
      const handle = await open(path, 'r');
      try {
        await handle.read(chunk, 0, length, position.offset);
      } finally {
        await handle.close();
      }
      const last = chunk.lastIndexOf(10);
      if (last < 0) {
        if (length < READ_CHUNK && !position.skipping) break; // a line still being written
        // No newline in a whole chunk: a runaway line. Skip it without buffering it in memory.
        position = { ...position, offset: position.offset + length, skipping: true };
        continue;
      }
      const lines: string[] = [];
      let start = 0;
      while (start <= last) {
        const nl = chunk.indexOf(10, start);
        const raw = chunk.subarray(start, nl);
        start = nl + 1;
        if (position.skipping) {
          position = { ...position, skipping: false };
          this.stats.invalid++;
          continue;
        }
        const line = this.accept(raw, container);
        if (line !== undefined) lines.push(line);
      }
      const result = await this.options.buffer.append(lines);
      this.stats.lines += result.accepted;
      if (result.dropped > 0) {
        this.stats.dropped += result.dropped;
        this.logger.warn('audit buffer full; audits dropped', {
          container,
          dropped: result.dropped,
          droppedTotal: this.options.buffer.dropped,
        });
      }
      moved += result.accepted;
      position = { ...position, offset: position.offset + last + 1 };
      this.offsets[container] = position;
      await writeFileAtomic(this.offsetsPath, JSON.stringify(this.offsets));
    }
    this.offsets[container] = position;
    return moved;
  }

  /** The line to buffer (compact JSON of a valid audit), or undefined when it is not one. */
  private accept(raw: Buffer, container: string): string | undefined {
    if (raw.length === 0) return undefined;
    if (raw.length > MAX_LINE_BYTES) {
      this.stats.invalid++;
      return undefined;
    }
    try {
      const audit = AuditSchema.parse(JSON.parse(raw.toString('utf8')));
      return JSON.stringify(audit);
    } catch {
      this.stats.invalid++;
      this.logger.warn('invalid audit line skipped', { container, bytes: raw.length });
      return undefined;
    }
  }
}
