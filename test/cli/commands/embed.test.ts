import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DecisionSchema } from '../../../src/embed/decision.js';
import { cli } from '../capture-cli.js';
import { assertBuilt, ROOT, runCli } from '../run-cli.js';

const GOLDEN = join(ROOT, 'test', 'golden');
const golden = (name: string, file: string) => join(GOLDEN, name, file);

describe('Command: ecs-admission embed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-admission-embed-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it('writes the protected task definition as 2-space JSON and a summary on stderr', async () => {
    // Act
    const run = await cli(['embed', '--no-resolve-images', golden('seeds-sample', 'input.json')]);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(golden('seeds-sample', 'expected.json'), 'utf8'));
    expect(run.stderr).toMatch(
      /^ecs-admission embed: protected twistlock-fargate-task \(embed version 1\); 9 change\(s\):\n/,
    );
    expect(run.stderr).toContain('add-container   containerDefinitions[1]');
  });

  it('writes --out and --json-report files, with the decision record', async () => {
    // Prepare
    const out = join(dir, 'out.json');
    const report = join(dir, 'report.json');
    // Act
    const run = await cli([
      'embed',
      golden('resize-raises-task', 'input.json'),
      '--out',
      out,
      '--json-report',
      report,
      '-q',
    ]);
    // Assess
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(
      readFileSync(golden('resize-raises-task', 'expected.json'), 'utf8'),
    );
    const decision = DecisionSchema.parse(JSON.parse(readFileSync(report, 'utf8')));
    expect(decision.outcome).toBe('protected');
    expect(decision.changes.filter((c) => c.kind === 'resize-task').map((c) => c.path)).toEqual([
      'cpu',
      'memory',
    ]);
  });

  it('exits 3 for a valid definition it cannot protect, and still writes the report', async () => {
    // Prepare
    const report = join(dir, 'rejected.json');
    // Act
    const run = await cli([
      'embed',
      '--no-resize',
      golden('resize-raises-task', 'input.json'),
      '--json-report',
      report,
    ]);
    // Assess
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/rejected web: it cannot be protected:\n {2}cpu: task size cpu 256/);
    expect(DecisionSchema.parse(JSON.parse(readFileSync(report, 'utf8'))).outcome).toBe('rejected');
  });

  it('exits 2 for invalid JSON, naming line and column', async () => {
    // Prepare
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{\n  "family": "x",\n  "containerDefinitions": [,]\n}\n');
    // Act
    const run = await cli(['embed', file]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid JSON at line 3, column \d+/);
  });

  it('exits 2 for JSON that is not a task definition, naming the field', async () => {
    // Prepare
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ family: 'x', containerDefinitions: [{ name: 'a', image: 'b', memory: 'lots' }] }),
    );
    // Act
    const run = await cli(['embed', file]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('containerDefinitions[0].memory: expected a number');
  });

  it('exits 0 for a skipped definition and writes it out normalised', async () => {
    // Act
    const run = await cli(['embed', golden('skip-ec2-only', 'input.json')]);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(golden('skip-ec2-only', 'expected.json'), 'utf8'));
    expect(run.stderr).toMatch(/^ecs-admission embed: skipped daemon: it is not a Fargate task definition/);
  });

  it('reads the configuration from a YAML file, flags overriding it', async () => {
    // Prepare
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'images:\n  X86_64: from-file:1\nsidecarName: guard\nessential: true\n');
    // Act
    const run = await cli([
      'embed',
      golden('seeds-sample', 'input.json'),
      '--config',
      config,
      '--non-essential',
      '--image-x86',
      'from-flag:2',
    ]);
    // Assess
    expect(run.code).toBe(0);
    const sidecar = JSON.parse(run.stdout).containerDefinitions.at(-1);
    expect(sidecar).toMatchObject({ name: 'guard', image: 'from-flag:2', essential: false });
  });

  it('rejects an unknown configuration key with its path', async () => {
    // Prepare
    const config = join(dir, 'typo.json');
    writeFileSync(config, JSON.stringify({ images: { X86_64: 'a', ARM: 'b' }, resise: false }));
    // Act
    const run = await cli(['embed', golden('seeds-sample', 'input.json'), '--config', config]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('images.ARM: unknown field');
    expect(run.stderr).toContain('resise: unknown field');
  });

  it.each([
    [['embed', '--frobnicate', 'x.json'], /Unknown option '--frobnicate'/],
    [['embed', '/nonexistent/task.json'], /cannot read \/nonexistent\/task.json: no such file/],
    [['embed', 'a.json', 'b.json'], /expected one task definition file, got 2/],
    [['embed', '--sidecar-cpu', 'lots', 'a.json'], /--sidecar-cpu: expected a whole number/],
    [['embed', '--skip-tag', 'novalue', 'a.json'], /--skip-tag: expected KEY=VALUE/],
  ])('exits 2 with a usage error for %j', async (args, message) => {
    // Act
    const run = await cli(args);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('prints its usage with --help', async () => {
    const run = await cli(['embed', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: ecs-admission embed [FILE|-]');
  });
});

describe('Command: ecs-admission embed (built CLI)', () => {
  beforeAll(() => assertBuilt());

  it('reads standard input with "-"', async () => {
    // Act
    const run = await runCli(
      ['embed', '-', '--no-resolve-images'],
      readFileSync(golden('arm64', 'input.json'), 'utf8'),
    );
    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).containerDefinitions.at(-1).image).toBe('ecs-admission/defender:latest');
  });

  it('reads a YAML configuration file and rejects a wrong value with its path', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ecs-admission-yaml-'));
    writeFileSync(join(dir, 'good.yaml'), 'sidecarName: guard\nimages:\n  X86_64: team/defender:2\n');
    writeFileSync(join(dir, 'bad.yaml'), 'resize: maybe\n');
    const input = golden('seeds-sample', 'input.json');
    // Act
    const good = await runCli(['embed', '-q', '--config', join(dir, 'good.yaml'), input]);
    const bad = await runCli(['embed', '--config', join(dir, 'bad.yaml'), input]);
    rmSync(dir, { recursive: true, force: true });
    // Assess
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).containerDefinitions.at(-1)).toMatchObject({
      name: 'guard',
      image: 'team/defender:2',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `ecs-admission embed: --config ${join(dir, 'bad.yaml')}: resize: expected true or false, got a string\n`,
    );
  });

  it('never prints a stack trace, even for a folder given as the file', async () => {
    // Act
    const run = await runCli(['embed', ROOT]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ecs-admission embed: cannot read .*: is a folder\n$/);
  });
});
