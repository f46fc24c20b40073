import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Files of the local stack's data folder that hold secrets (mode 0600, folder 0700). */
export const LOCAL_FILES = {
  signingKey: 'signing-key',
  adminToken: 'admin-token',
  rules: 'rules.json',
  events: 'events.ndjson',
} as const;

/**
 * Reads a secret file, or creates it (mode 0600, exclusive) with `prefix` and fresh random content.
 * A prefix keeps a base64url value from starting with `-`, which a command line would take for an
 * option (`--token -x…`), and lets secret scanners recognise the value.
 */
async function ensureSecretFile(path: string, bytes: number, prefix: string): Promise<string> {
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length > 0) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = `${prefix}${randomBytes(bytes).toString('base64url')}`;
  try {
    await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first (e.g. `token` and `local` started together): use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw error;
  }
  await chmod(path, 0o600);
  return value;
}

/** Creates the data folder (mode 0700) if needed. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
}

/** The local stack's token signing key, `DIR/signing-key`, created on first use. */
export async function ensureSigningKey(dataDir: string): Promise<string> {
  await ensureDataDir(dataDir);
  return ensureSecretFile(join(dataDir, LOCAL_FILES.signingKey), 48, '');
}

/** The local stack's admin token, `DIR/admin-token`, created on first use. */
export async function ensureAdminToken(dataDir: string): Promise<string> {
  await ensureDataDir(dataDir);
  return ensureSecretFile(join(dataDir, LOCAL_FILES.adminToken), 32, 'ecaat_');
}
