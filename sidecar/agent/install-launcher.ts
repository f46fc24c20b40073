import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { AgentError } from './errors.js';

/** Where the app containers find the launcher (their entryPoint). */
export function launcherPath(rootDir: string): string {
  return join(rootDir, 'bin', 'launcher');
}

/**
 * Copies the launcher shipped in the sidecar image into the shared volume, mode 0755, atomically
 * (an app container that starts early sees the whole binary or none). The health check runs the
 * copied binary, so a failed copy keeps the task unhealthy instead of starting unprotected apps.
 */
export async function installLauncher(source: string, rootDir: string): Promise<string> {
  let binary: Buffer;
  try {
    binary = await readFile(source);
  } catch (cause) {
    throw new AgentError(
      `launcher binary not found at ${source} (set ECS_ADMISSION_LAUNCHER_SOURCE or rebuild the sidecar image)`,
      { cause },
    );
  }
  const target = launcherPath(rootDir);
  await mkdir(join(rootDir, 'bin'), { recursive: true, mode: 0o755 });
  await writeFileAtomic(target, binary, 0o755);
  return target;
}
