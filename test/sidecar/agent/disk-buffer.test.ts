import { appendFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskBuffer } from '../../../sidecar/agent/disk-buffer.js';

const dir = () => mkdtemp(join(tmpdir(), 'disk-buffer-'));
const items = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `{"n":${from + i}}`);

describe('Function: DiskBuffer', () => {
  it('returns lines in order within the line and byte limits, and forgets them only on commit', async () => {
    // Prepare
    const buffer = await DiskBuffer.open({ dir: await dir(), maxBytes: 1 << 20 });
    await buffer.append(items(10));

    // Act
    const first = await buffer.peek(4, 1 << 20);
    const again = await buffer.peek(4, 1 << 20);
    await buffer.commit(first.end);
    const small = await buffer.peek(100, 20);

    // Assess
    expect(first.lines).toEqual(items(4));
    expect(again.lines).toEqual(items(4));
    expect(small.lines).toEqual(items(2, 4));
  });

  it('survives a reopen, including a torn last line written by a crash', async () => {
    // Prepare
    const path = await dir();
    const buffer = await DiskBuffer.open({ dir: path, maxBytes: 1 << 20 });
    await buffer.append(items(5));
    await buffer.commit((await buffer.peek(2, 1 << 20)).end);
    await appendFile(join(path, 'buffer.0.ndjson'), '{"n":99');

    // Act
    const reopened = await DiskBuffer.open({ dir: path, maxBytes: 1 << 20 });
    const batch = await reopened.peek(100, 1 << 20);

    // Assess
    expect(batch.lines).toEqual(items(3, 2));
  });

  it('compacts the sent head into a new generation without losing the tail', async () => {
    // Prepare
    const path = await dir();
    const buffer = await DiskBuffer.open({ dir: path, maxBytes: 1 << 20, compactBytes: 100 });
    await buffer.append(items(50));

    // Act
    await buffer.commit((await buffer.peek(30, 1 << 20)).end);
    const files = await readdir(path);
    const reopened = await DiskBuffer.open({ dir: path, maxBytes: 1 << 20, compactBytes: 100 });

    // Assess
    expect(files.filter((f) => f.startsWith('buffer.'))).toEqual(['buffer.1.ndjson']);
    expect((await reopened.peek(100, 1 << 20)).lines).toEqual(items(20, 30));
  });

  it('drops what exceeds the bound and keeps the count across a reopen', async () => {
    // Prepare
    const path = await dir();
    const buffer = await DiskBuffer.open({ dir: path, maxBytes: 48 });

    // Act
    const result = await buffer.append(items(10));
    const reopened = await DiskBuffer.open({ dir: path, maxBytes: 48 });

    // Assess
    expect(result).toEqual({ accepted: 6, dropped: 4 });
    expect(reopened.dropped).toBe(4);
    expect(reopened.pendingBytes).toBe(48);
  });
});
