import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parseTaskDefinitionInput, parseTaskDefinitionJson } from '../src/taskdef/parse-input.js';
import { validateAgainstModel } from '../src/taskdef/validate-model.js';
import type { BenchResult } from './bench-result.js';
import { median } from './stats.js';

const root = join(import.meta.dirname, '..');

/** The corpus documents that parse: what the transform sees in practice. */
function corpusInputs(): unknown[] {
  const dir = join(root, 'test/corpus/taskdefs');
  const inputs: unknown[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (parseTaskDefinitionJson(text).ok) inputs.push(JSON.parse(text));
  }
  return inputs;
}

function microsPerCall(inputs: unknown[], work: (input: unknown) => void): number {
  const rounds = 200;
  for (let i = 0; i < 100; i++) for (const input of inputs) work(input); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const input of inputs) work(input);
  return Number(process.hrtime.bigint() - start) / 1000 / (rounds * inputs.length);
}

/**
 * What the taskdef modules add to a CLI start, measured in a child running the bundled modules:
 * CPU time of evaluating them after zod and the shared contracts are loaded (robust to a busy
 * machine), and the wall time of the whole child against a bare `node` start (not robust).
 */
async function loadFigures(): Promise<{ cpu: number; wall: number; bare: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'taskdef-bench-'));
  try {
    const src = (path: string): string => JSON.stringify(join(root, path));
    const contents = [
      'const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };',
      "await import('zod');",
      `await import(${src('src/embed/decision.js')});`,
      'const before = cpu();',
      `const { parseTaskDefinitionInput } = await import(${src('src/taskdef/parse-input.js')});`,
      `const { validateAgainstModel } = await import(${src('src/taskdef/validate-model.js')});`,
      'const r = parseTaskDefinitionInput({ family: "f", containerDefinitions: [{ name: "a", image: "b" }] });',
      'if (!r.ok || validateAgainstModel(r.request).length > 0) process.exit(1);',
      'process.stdout.write(String(cpu() - before));',
    ].join('\n');
    const out = join(dir, 'entry.mjs');
    await build({
      // From stdin with the repository as resolve dir, so `zod` resolves from its node_modules.
      stdin: { contents, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
    });
    const run = (args: string[]): { wall: number; stdout: string } => {
      const start = process.hrtime.bigint();
      const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}`);
      return { wall: Number(process.hrtime.bigint() - start) / 1e6, stdout: child.stdout };
    };
    const runs = Array.from({ length: 7 }, () => run([out]));
    const bare = median(Array.from({ length: 7 }, () => run(['-e', '']).wall));
    return {
      cpu: median(runs.map((r) => Number(r.stdout))),
      wall: median(runs.map((r) => r.wall)) - bare,
      bare,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parse + model validation per corpus task definition, warm, and the modules' load time. */
export async function bench(): Promise<BenchResult[]> {
  const inputs = corpusInputs();
  const parse = microsPerCall(inputs, (input) => parseTaskDefinitionInput(input));
  const both = microsPerCall(inputs, (input) => {
    const result = parseTaskDefinitionInput(input);
    if (result.ok) validateAgainstModel(result.request);
  });
  // A reference on the same documents, to read the figures on a busy machine: JSON.stringify
  // takes a few µs per task definition on an idle core.
  const stringify = microsPerCall(inputs, (input) => JSON.stringify(input));
  const { cpu, wall, bare } = await loadFigures();
  return [
    { name: `parse per task definition (corpus, ${inputs.length} docs, warm)`, value: parse, unit: 'µs' },
    {
      name: 'parse + validate-model per task definition (warm)',
      value: both,
      unit: 'µs',
      target: '< 200 µs',
      ok: both < 200,
    },
    { name: 'reference: JSON.stringify per task definition', value: stringify, unit: 'µs' },
    {
      name: 'load taskdef modules + first parse/validate (CPU, after zod)',
      value: cpu,
      unit: 'ms',
      target: '< 30 ms',
      ok: cpu < 30,
    },
    { name: 'load zod + contracts + taskdef (wall, over bare node)', value: wall, unit: 'ms' },
    { name: 'reference: bare node start', value: bare, unit: 'ms' },
  ];
}
