import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parseTaskDefinitionInput, parseTaskDefinitionJson } from '../src/taskdef/parse-input.js';
import { validateAgainstModel } from '../src/taskdef/validate-model.js';
import type { BenchResult } from './bench-result.js';

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

/** Wall time of `node` loading the bundled taskdef modules, minus an empty `node` run: the CLI's share. */
async function loadMillis(): Promise<{ load: number; bare: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'taskdef-bench-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { parseTaskDefinitionInput } from '${join(root, 'src/taskdef/parse-input.js')}';\n` +
        `import { validateAgainstModel } from '${join(root, 'src/taskdef/validate-model.js')}';\n` +
        'const r = parseTaskDefinitionInput({ family: "f", containerDefinitions: [{ name: "a", image: "b" }] });\n' +
        'if (!r.ok || validateAgainstModel(r.request).length > 0) process.exit(1);\n',
    );
    const out = join(dir, 'entry.mjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: out,
      logLevel: 'silent',
    });
    const time = (args: string[]): number => {
      const samples: number[] = [];
      for (let i = 0; i < 7; i++) {
        const start = process.hrtime.bigint();
        const run = spawnSync(process.execPath, args);
        if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}`);
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      return samples.sort((a, b) => a - b)[3] as number;
    };
    const bare = time(['-e', '']);
    return { load: time([out]) - bare, bare };
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
  const { load, bare } = await loadMillis();
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
      name: 'load zod + taskdef modules (bundled, over bare node)',
      value: load,
      unit: 'ms',
      target: '< 50 ms',
      ok: load < 50,
    },
    { name: 'reference: bare node start', value: bare, unit: 'ms' },
  ];
}
