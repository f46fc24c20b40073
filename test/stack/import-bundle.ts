import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { readZip } from './read-zip.js';

const run = promisify(execFile);

// Runs in the fresh process: time the import alone (not Node's own start), and report what the
// module exports, so a bundle that loads but lacks its handler is caught too.
const PROBE = `
const started = performance.now();
const mod = await import(process.argv[1]);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, exports: Object.keys(mod), handler: typeof mod.handler }));
`;

/** What importing a bundle in a fresh Node process showed. */
export interface ImportResult {
  ms: number;
  exports: string[];
  handler: string;
}

/** Unpacks a function's zip into a temporary folder; returns the folder. */
export function unpackZip(zipPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-admission-bundle-'));
  for (const entry of readZip(zipPath)) {
    const target = join(dir, entry.name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data);
  }
  return dir;
}

/**
 * Imports `file` in a fresh Node process with `env` (plus a region and no credentials, as a Lambda
 * sandbox has before its first call) and reports the import time: the cold-start proxy.
 */
export async function importInFreshProcess(file: string, env: Record<string, string>): Promise<ImportResult> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', PROBE, file], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', ...env },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as ImportResult;
}

/** Removes a folder made by {@link unpackZip}. */
export function removeUnpacked(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
