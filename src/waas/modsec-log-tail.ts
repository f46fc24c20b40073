import { open, stat } from 'node:fs/promises';
import type { Audit } from '../audit/audit.js';
import { ModsecRecordSchema, modsecToAudit, type WaasAuditContext } from './audit-convert.js';

/**
 * Follows one ModSecurity JSON (serial) audit log: each `read()` returns the audits of the complete
 * records written since the last one. A record still being written (no newline yet) waits for the
 * next read, so none is cut in two or read twice.
 */
export class ModsecLogTail {
  private offset = 0;

  constructor(
    readonly file: string,
    private readonly context: WaasAuditContext,
  ) {}

  /** Starts at the log's current end: records from before are not this proxy's. */
  async skipExisting(): Promise<void> {
    this.offset = (await stat(this.file).catch(() => ({ size: 0 }))).size;
  }

  async read(): Promise<Audit[]> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      return [];
    }
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return [];
    const handle = await open(this.file, 'r');
    const chunk = Buffer.alloc(size - this.offset);
    try {
      await handle.read(chunk, 0, chunk.length, this.offset);
    } finally {
      await handle.close();
    }
    const last = chunk.lastIndexOf(10);
    if (last < 0) return [];
    this.offset += last + 1;
    const audits: Audit[] = [];
    for (const line of chunk.subarray(0, last).toString('utf8').split('\n')) {
      const text = line.replace(/^\0+/, '').trim();
      if (!text) continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = ModsecRecordSchema.safeParse(record);
      if (!parsed.success) continue;
      const audit = modsecToAudit(parsed.data, this.context);
      if (audit) audits.push(audit);
    }
    return audits;
  }
}
