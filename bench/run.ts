import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchResult } from './bench-result.js';

/**
 * `npm run bench [area ...]`: runs every bench/<area>.bench.ts (or the named ones) in one process,
 * so that figures compared with each other are measured side by side, and prints one table.
 */
const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();

/**
 * This machine's CPU time taken by the host for other guests ("steal"), and all CPU time, in ticks,
 * from /proc/stat: a shared VM runs slower, with longer tails, while the host is busy, which
 * explains figures that differ from one run to the next.
 */
function cpuTicks(): { steal: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { steal: fields[7] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
}

const rows: (BenchResult & { area: string })[] = [];
let failed = false;
for (const file of files) {
  const area = file.replace(/\.bench\.ts$/, '');
  process.stderr.write(`bench: ${area}...\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { bench: Bench };
    const before = cpuTicks();
    for (const r of await mod.bench()) rows.push({ area, ...r });
    const after = cpuTicks();
    const steal = (100 * (after.steal - before.steal)) / Math.max(1, after.total - before.total);
    rows.push({
      area,
      name: 'host steal: CPU time the host gave other guests meanwhile',
      value: steal,
      unit: '%',
    });
  } catch (error) {
    failed = true;
    process.stderr.write(
      `bench: ${area} failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}

const fmt = (n: number) =>
  Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
const table = rows.map((r) => [
  r.area,
  r.name,
  `${fmt(r.value)} ${r.unit}`,
  r.target ?? '',
  r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
]);
const header = ['area', 'figure', 'value', 'target', ''];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const row of table) process.stdout.write(`${line(row)}\n`);
if (failed) process.exitCode = 1;
