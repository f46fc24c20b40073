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
const cpu = process.cpuUsage();
const mod = await import(process.argv[1]);
const used = process.cpuUsage(cpu);
const ms = performance.now() - started;
const cpuMs = (used.user + used.system) / 1000;
process.stdout.write(JSON.stringify({ ms, cpuMs, exports: Object.keys(mod), handler: typeof mod.handler }));
`;

/** What importing a bundle in a fresh Node process showed. */
export interface ImportResult {
  /** Wall time of the import. */
  ms: number;
  /** CPU time (user + system) the import took: what a busy machine inflates least. */
  cpuMs: number;
  exports: string[];
  handler: string;
}

/**
 * Runs a probe script in a fresh Node process. When it fails, the error keeps Node's message and
 * stack but cuts each line short: a minified bundle's source line would otherwise fill the screen.
 */
async function runProbe(args: string[], env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, args, {
      env,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '');
    const lines = stderr
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.includes('NodeVersionSupportWarning'))
      .slice(0, 30)
      .map((line) => (line.length > 200 ? `${line.slice(0, 200)}…` : line));
    throw new Error(`the bundle failed in a fresh Node process:\n${lines.join('\n')}`);
  }
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
  const stdout = await runProbe(['--input-type=module', '-e', PROBE, file], {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    ...env,
  });
  return JSON.parse(stdout) as ImportResult;
}

// Runs in the fresh process: one warm container, invoked with each event in turn, as Lambda does.
const INVOKER = `
const { handler } = await import(process.argv[1]);
const events = JSON.parse(process.argv[2]);
const results = [];
let etag = '';
for (const event of events) {
  // "{{etag}}" in a header stands for the ETag of the previous answer (conditional requests).
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value === '{{etag}}') event.headers[name] = etag;
  const result = await handler(event, { awsRequestId: 'test', getRemainingTimeInMillis: () => 30000 });
  etag = result?.headers?.etag ?? etag;
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
`;

/**
 * Invokes the bundle's `handler` with each event in turn in one fresh Node process (one warm Lambda
 * container) with exactly `env`, and returns what it answered to each. A header whose value is
 * `{{etag}}` is sent with the ETag of the previous answer.
 */
export async function invokeInFreshProcess(
  file: string,
  env: Record<string, string>,
  events: unknown[],
): Promise<unknown[]> {
  const stdout = await runProbe(['--input-type=module', '-e', INVOKER, file, JSON.stringify(events)], {
    PATH: process.env.PATH ?? '',
    ...env,
  });
  return JSON.parse(stdout) as unknown[];
}

/** Removes a folder made by {@link unpackZip}. */
export function removeUnpacked(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
