import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../capture-cli.js';
import { ROOT } from '../run-cli.js';

const golden = (name: string, file: string) => join(ROOT, 'test', 'golden', name, file);

describe('Command: ecs-admission check', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecs-admission-check-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a definition protected by the current version', async () => {
    const run = await cli(['check', golden('describe-output-source-tag', 'expected.json')]);
    expect(run).toMatchObject({ code: 0, stdout: 'web: protected by embed version 1 (source web:7)\n' });
  });

  it('exits 1 for an unprotected definition, saying why', async () => {
    const run = await cli(['check', golden('seeds-sample', 'input.json')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'twistlock-fargate-task: not protected by embed version 1: it has no ecs-admission defender sidecar\n',
    );
  });

  it('exits 1 for a definition protected by an older version', async () => {
    const run = await cli(['check', golden('upgrade-older-version', 'input.json')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/protected by embed version 0; the current version is 1/);
  });

  it('exits 2 for a file that is not a task definition', async () => {
    // Prepare
    const file = join(dir, 'list.json');
    writeFileSync(file, '[1, 2]');
    // Act
    const run = await cli(['check', file]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not a valid task definition:\n {2}\$: expected a task definition object/);
  });

  it('exits 2 without a file', async () => {
    const run = await cli(['check']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/expected one task definition file/);
  });
});
