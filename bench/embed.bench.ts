import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveEmbedConfig } from '../src/embed/config.js';
import { embedTaskDefinition } from '../src/embed/embed.js';
import type { BenchResult } from './bench-result.js';
import { median, percentile } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function jsonInputs(folder: string, pick: (name: string) => string | undefined): unknown[] {
  const out: unknown[] = [];
  for (const name of readdirSync(folder).sort()) {
    const file = pick(name);
    if (file === undefined || !existsSync(file)) continue;
    try {
      out.push(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // invalid JSON never reaches the transform
    }
  }
  return out;
}

/** Per-call times (ms) of the transform over `inputs`, each `rounds` times after a warm-up. */
function timeTransform(inputs: unknown[], rounds: number): number[] {
  const config = resolveEmbedConfig({ resolveImages: false });
  for (let i = 0; i < 50; i++) for (const input of inputs) embedTaskDefinition(input, config);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const input of inputs) {
      const start = performance.now();
      embedTaskDefinition(input, config);
      times.push(performance.now() - start);
    }
  }
  return times.sort((a, b) => a - b);
}

/**
 * Embed figures: the pure transform per task definition (the real-world corpus, and the golden
 * inputs, which are mostly protected and so do the most work), and the wall time of one
 * `ecs-admission embed` through the built CLI, Node start included.
 */
export async function bench(): Promise<BenchResult[]> {
  const corpus = jsonInputs(join(ROOT, 'test', 'corpus', 'taskdefs'), (n) =>
    n.endsWith('.json') ? join(ROOT, 'test', 'corpus', 'taskdefs', n) : undefined,
  );
  const golden = jsonInputs(join(ROOT, 'test', 'golden'), (n) =>
    join(ROOT, 'test', 'golden', n, 'input.json'),
  );
  const results: BenchResult[] = [];
  for (const [name, inputs] of [
    ['corpus', corpus],
    ['golden', golden],
  ] as const) {
    const times = timeTransform(inputs, 40);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    results.push(
      {
        name: `transform mean, ${name} (${inputs.length} defs)`,
        value: mean,
        unit: 'ms',
        target: '< 1 ms',
        ok: mean < 1,
      },
      { name: `transform p99, ${name}`, value: percentile(times, 99), unit: 'ms' },
    );
  }

  const bin = join(ROOT, 'bin', 'ecs-admission.mjs');
  const example = join(ROOT, 'examples', 'twistlock-fargate-task.json');
  const walls: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    const run = spawnSync(process.execPath, [bin, 'embed', '--no-resolve-images', example], {
      encoding: 'utf8',
    });
    walls.push(performance.now() - start);
    if (run.status !== 0) throw new Error(`ecs-admission embed exited ${run.status}: ${run.stderr}`);
  }
  const wall = median(walls);
  const bare: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - start);
  }
  results.push(
    {
      name: 'CLI embed wall time, median of 15',
      value: wall,
      unit: 'ms',
      target: '< 300 ms',
      ok: wall < 300,
    },
    { name: 'bare node start wall time (reference)', value: median(bare), unit: 'ms' },
    {
      name: 'CLI embed CPU time, median of 9',
      value: cpuTime([bin, 'embed', '--no-resolve-images', example]),
      unit: 'ms',
    },
    { name: 'bare node start CPU time (reference)', value: cpuTime(['-e', '0']), unit: 'ms' },
  );
  return results;
}

/**
 * Median CPU time (user + sys, ms) of `node ARGS`: what the CLI costs even when a busy machine
 * stretches its wall time.
 */
function cpuTime(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const run = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { encoding: 'utf8' });
    const [user, sys] = (run.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    if (run.error || user === undefined || sys === undefined || Number.isNaN(user + sys)) {
      throw new Error('/usr/bin/time is needed (Debian package "time")');
    }
    times.push((user + sys) * 1000);
  }
  return median(times);
}
