import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileBus, type LocalBusEvent } from '../../src/local/file-bus.js';

const dir = mkdtempSync(join(tmpdir(), 'file-bus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Class: FileBus', () => {
  it('appends one EventBridge-shaped line per entry and tells the listener', async () => {
    // Prepare
    const path = join(dir, 'events.ndjson');
    const seen: LocalBusEvent[] = [];
    const bus = new FileBus({
      path,
      now: () => new Date('2026-11-22T00:00:00Z'),
      onEvent: (e) => seen.push(e),
    });

    // Act
    const results = await Promise.all([
      bus.put([{ source: 'ecs-admission', detailType: 'ECS Runtime Audit', detail: { n: 1 } }]),
      bus.put([
        {
          source: 'ecs-admission',
          detailType: 'ECS Admission Decision',
          detail: { n: 2 },
          resources: ['arn:x'],
          time: '2026-01-01T00:00:00Z',
        },
        { source: 'ecs-admission', detailType: 'ECS Admission Decision', detail: { n: 3 } },
      ]),
    ]);

    // Assess
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as LocalBusEvent);
    expect(results.every((r) => r.failed.length === 0)).toBe(true);
    expect(lines.map((l) => (l.detail as { n: number }).n)).toEqual([1, 2, 3]);
    expect(lines[0]).toMatchObject({
      version: '0',
      source: 'ecs-admission',
      'detail-type': 'ECS Runtime Audit',
      time: '2026-11-22T00:00:00.000Z',
      resources: [],
    });
    expect(lines[1]).toMatchObject({ time: '2026-01-01T00:00:00Z', resources: ['arn:x'] });
    expect(seen.map((e) => e.id)).toEqual(lines.map((l) => l.id));
  });

  it('reports every entry as failed when the file cannot be written', async () => {
    const bus = new FileBus({ path: dir });
    const result = await bus.put([{ source: 's', detailType: 'd', detail: {} }]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.error).toMatch(/could not append to .*: EISDIR/);
  });
});
