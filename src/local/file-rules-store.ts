import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RulesStoreError, VersionConflictError } from '../policy/errors.js';
import type { Rule } from '../policy/rules-schema.js';
import {
  nextVersion,
  type PolicySnapshot,
  PolicySnapshotSchema,
  type RulesStore,
} from '../policy/rules-store.js';

/**
 * The local stack's rules store: `DIR/rules.json` holding `{version, rules}`, readable and diffable.
 * Chosen over an in-process DynamoDB emulator because it needs no native dependency, survives
 * restarts as one file, and keeps the same {@link RulesStore} contract (the DynamoDB store is tested
 * against dynalite with the same suite). Writes go to a temporary file and are renamed into place, so
 * a crash never leaves a half-written policy; one process owns the folder (the local stack).
 */
export class FileRulesStore implements RulesStore {
  readonly path: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.path = join(dataDir, 'rules.json');
  }

  async version(): Promise<string> {
    return (await this.read()).version;
  }

  async read(): Promise<PolicySnapshot> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: '0', rules: [] };
      throw new RulesStoreError(`could not read ${this.path}`, { cause: error });
    }
    try {
      return PolicySnapshotSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new RulesStoreError(`${this.path} is not a valid rules file; fix or remove it`, { cause: error });
    }
  }

  write(rules: readonly Rule[], expectedVersion: string): Promise<PolicySnapshot> {
    // Serialised so that check-then-write is atomic within the process.
    const run = this.queue.then(async () => {
      const current = await this.read();
      if (current.version !== expectedVersion)
        throw new VersionConflictError(expectedVersion, current.version);
      const next: PolicySnapshot = { version: nextVersion(expectedVersion), rules: [...rules] };
      const tmp = `${this.path}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(this.path), { recursive: true });
        await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
        await rename(tmp, this.path);
      } catch (error) {
        throw new RulesStoreError(`could not write ${this.path}`, { cause: error });
      }
      return next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
