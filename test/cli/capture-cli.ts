import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** What the CLI has written so far, read when asked (writes keep arriving until the mocks are restored). */
export interface CapturedOutput {
  out(): string;
  err(): string;
}

/**
 * Captures process.stdout and process.stderr writes (and keeps them off the test output) until
 * `vi.restoreAllMocks()`; tests that call it restore the mocks in `afterEach`.
 */
export function captureOutput(): CapturedOutput {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  return { out: () => stdout, err: () => stderr };
}

/** Exit code and output of one in-process CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process (no bundle needed), capturing what it writes, then restores the mocks. */
export async function cli(args: string[]): Promise<CliResult> {
  const io = captureOutput();
  try {
    const code = await main(args);
    return { code, stdout: io.out(), stderr: io.err() };
  } finally {
    vi.restoreAllMocks();
  }
}
