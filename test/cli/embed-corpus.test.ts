import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { parseTaskDefinitionJson } from '../../src/taskdef/parse-input.js';
import { validateAgainstModel } from '../../src/taskdef/validate-model.js';
import { assertBuilt, type CliRun, inPool, ROOT, runCli } from './run-cli.js';

/**
 * Every real-world task definition of test/corpus/taskdefs goes through the built CLI (offline:
 * `--no-resolve-images`; registry look-up has its own tests): each must end protected / already
 * protected / skipped (exit 0) or rejected (2: not a task definition, 3: cannot be protected) with
 * a message naming the problem; every protected output must pass the API model. The same files
 * also go through the transform in-process with EC2 protection on, which reaches more of it.
 */
const CORPUS = join(ROOT, 'test', 'corpus', 'taskdefs');
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.json'))
  .sort();
type Row = { file: string; run: CliRun; outcome: string };
const rows: Row[] = [];

const OUTCOME = /^ecs-admission embed: (protected|already-protected|skipped|rejected) /;

beforeAll(async () => {
  assertBuilt();
  const runs = await inPool(files, 2, (file) => runCli(['embed', '--no-resolve-images', join(CORPUS, file)]));
  runs.forEach((run, i) => {
    rows.push({ file: files[i] ?? '', run, outcome: OUTCOME.exec(run.stderr)?.[1] ?? '?' });
  });
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const key = r.outcome === 'rejected' ? `rejected (exit ${r.run.code})` : r.outcome;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const summary = Object.entries(counts).map(([k, n]) => `${k} ${n}`);
  console.log(`corpus outcomes over ${files.length} files: ${summary.join(', ')}`);
  for (const r of rows) console.log(`  ${r.outcome.padEnd(17)} ${r.run.code} ${r.file}`);
}, 600_000);

describe('Command: ecs-admission embed (real-world corpus)', () => {
  it('holds the 50 corpus files', () => {
    expect(files.length).toBe(50);
  });

  it.each(files)('%s ends cleanly', (file) => {
    // Prepare
    const row = rows.find((r) => r.file === file);
    if (!row) throw new Error('no run recorded');
    const { run, outcome } = row;
    // Assess: a known outcome, the exit code that goes with it, never a stack trace
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(['protected', 'already-protected', 'skipped', 'rejected']).toContain(outcome);
    if (outcome === 'rejected') {
      expect([2, 3]).toContain(run.code);
      expect(run.stdout).toBe('');
      // Each problem line names a JSON path and says what is wrong.
      const problems = run.stderr
        .split('\n')
        .slice(1)
        .filter((l) => l.trim() !== '');
      expect(problems.length).toBeGreaterThan(0);
      for (const line of problems) expect(line).toMatch(/^ {2}(\$|[A-Za-z[]).*: .{10,}/);
      return;
    }
    expect(run.code).toBe(0);
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const parsed = parseTaskDefinitionJson(run.stdout);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(`${JSON.stringify(parsed.request, null, 2)}\n`).toBe(run.stdout);
    if (outcome === 'protected') expect(validateAgainstModel(JSON.parse(run.stdout))).toEqual([]);
  });

  it.each(files)('%s ends cleanly in-process with includeEc2', (file) => {
    // Prepare
    const config = resolveEmbedConfig({ includeEc2: true, resolveImages: false });
    let input: unknown;
    try {
      input = JSON.parse(readFileSync(join(CORPUS, file), 'utf8'));
    } catch {
      return; // invalid JSON: the CLI run above covers it
    }
    // Act
    const result = embedTaskDefinition(input, config);
    // Assess
    if (result.decision.outcome === 'rejected') {
      expect(result.rejection).toMatch(/invalid-input|cannot-protect/);
      expect(result.decision.errors?.length).toBeGreaterThan(0);
      for (const problem of result.decision.errors ?? []) expect(problem.message.length).toBeGreaterThan(5);
    } else {
      expect(result.output).toBeDefined();
      if (result.decision.outcome === 'protected') expect(validateAgainstModel(result.output)).toEqual([]);
    }
  });
});
