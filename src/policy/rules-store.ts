import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { RulesStoreError, VersionConflictError } from './errors.js';
import { type Rule, RuleSchema } from './rules-schema.js';

/** The whole ordered rule list at one policy version. */
export const PolicySnapshotSchema = z
  .object({
    /** Decimal counter, bumped by every change; `"0"` before the first write. */
    version: z.string().regex(/^\d+$/),
    rules: z.array(RuleSchema),
  })
  .strict();
export type PolicySnapshot = z.infer<typeof PolicySnapshotSchema>;

/**
 * Where the ordered rules live. Writes replace the whole list atomically and only if the policy is
 * still at `expectedVersion` (optimistic concurrency), so a stale writer gets
 * {@link VersionConflictError} and nothing is half-written.
 */
export interface RulesStore {
  /** The current policy version: the cheap check the cache makes every few seconds. */
  version(): Promise<string>;
  /** The current version and rules, consistent with each other. */
  read(): Promise<PolicySnapshot>;
  /** Stores `rules` as version `expectedVersion + 1` if the policy is still at `expectedVersion`. */
  write(rules: readonly Rule[], expectedVersion: string): Promise<PolicySnapshot>;
}

/** Next version after `version` (decimal counter). */
export function nextVersion(version: string): string {
  return String(Number(version) + 1);
}

const HEAD_KEY = 'policy#head';
/** DynamoDB items are limited to 400 KB; chunks of the gzipped snapshot stay well under it. */
const CHUNK_BYTES = 300 * 1024;
const READ_ATTEMPTS = 4;

const HeadSchema = z.object({
  pk: z.literal(HEAD_KEY),
  version: z.number().int().nonnegative(),
  snapshot: z.string(),
  chunks: z.number().int().positive(),
});
type Head = z.infer<typeof HeadSchema>;

const chunkKey = (snapshot: string, index: number) => `policy#snapshot#${snapshot}#${index}`;

/** Options of {@link DynamoRulesStore}. */
export interface DynamoRulesStoreOptions {
  tableName: string;
  /** A DynamoDB client (endpoint override for dynalite in tests); defaults to the SDK's default chain. */
  client?: DynamoDBClient;
}

/**
 * The rules in ONE DynamoDB table whose partition key is the string attribute `pk` (no sort key).
 *
 * DynamoDB-compatible servers without transactions (dynalite) and rule lists larger than one item
 * shaped the layout: each version is an immutable snapshot (the gzipped JSON list, split into
 * chunk items `policy#snapshot#<id>#<n>`), and the head item `policy#head` names the current
 * snapshot and version. A write puts the new chunks first, then moves the head with a conditional
 * put (`version = expected`): the head move is the single atomic step, so readers never see a
 * half-written policy and a stale writer fails the condition (→ 409) and removes its chunks.
 * Superseded chunks are deleted after the move; a reader that loses that race reads the head again.
 */
export class DynamoRulesStore implements RulesStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoRulesStoreOptions) {
    this.tableName = options.tableName;
    this.doc = DynamoDBDocumentClient.from(options.client ?? new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async version(): Promise<string> {
    const head = await this.head(false);
    return String(head?.version ?? 0);
  }

  async read(): Promise<PolicySnapshot> {
    for (let attempt = 1; ; attempt++) {
      const head = await this.head(true);
      if (!head) return { version: '0', rules: [] };
      const rules = await this.readChunks(head);
      if (rules) return { version: String(head.version), rules };
      // The snapshot was superseded and deleted between the two reads: the head has moved on.
      if (attempt >= READ_ATTEMPTS) {
        throw new RulesStoreError(`policy snapshot ${head.snapshot} is incomplete in ${this.tableName}`);
      }
    }
  }

  async write(rules: readonly Rule[], expectedVersion: string): Promise<PolicySnapshot> {
    const version = nextVersion(expectedVersion);
    const snapshot = `${version}-${randomUUID()}`;
    const bytes = gzipSync(Buffer.from(JSON.stringify(rules)));
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length || chunks.length === 0; offset += CHUNK_BYTES) {
      chunks.push(bytes.subarray(offset, offset + CHUNK_BYTES));
    }
    const previous = await this.head(true);
    if (String(previous?.version ?? 0) !== expectedVersion) {
      throw new VersionConflictError(expectedVersion, String(previous?.version ?? 0));
    }
    await this.writeItems(
      chunks.map((data, i) => ({ PutRequest: { Item: { pk: chunkKey(snapshot, i), data } } })),
    );
    const head: Head = { pk: HEAD_KEY, version: Number(version), snapshot, chunks: chunks.length };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: head,
          ConditionExpression: expectedVersion === '0' ? 'attribute_not_exists(pk)' : '#version = :expected',
          ...(expectedVersion === '0'
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': Number(expectedVersion) },
              }),
        }),
      );
    } catch (error) {
      await this.deleteSnapshot(snapshot, chunks.length).catch(() => undefined);
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
        throw new VersionConflictError(expectedVersion, await this.version().catch(() => undefined));
      }
      throw new RulesStoreError(`could not write the policy head in ${this.tableName}`, { cause: error });
    }
    if (previous) await this.deleteSnapshot(previous.snapshot, previous.chunks).catch(() => undefined);
    return { version, rules: [...rules] };
  }

  private async head(consistent: boolean): Promise<Head | undefined> {
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: HEAD_KEY }, ConsistentRead: consistent }),
      );
      return out.Item ? HeadSchema.parse(out.Item) : undefined;
    } catch (error) {
      throw new RulesStoreError(`could not read the policy head from ${this.tableName}`, { cause: error });
    }
  }

  /** The snapshot's rules, or undefined when a chunk is missing (superseded meanwhile). */
  private async readChunks(head: Head): Promise<Rule[] | undefined> {
    const keys = Array.from({ length: head.chunks }, (_, i) => ({ pk: chunkKey(head.snapshot, i) }));
    const found = new Map<string, Uint8Array>();
    try {
      for (let i = 0; i < keys.length; i += 100) {
        let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
        for (let round = 0; pending && pending.length > 0 && round < 8; round++) {
          const out: BatchGetCommandOutput = await this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          for (const item of out.Responses?.[this.tableName] ?? []) {
            found.set(String(item.pk), item.data as Uint8Array);
          }
          pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
        }
      }
    } catch (error) {
      throw new RulesStoreError(`could not read the policy snapshot from ${this.tableName}`, {
        cause: error,
      });
    }
    const parts: Uint8Array[] = [];
    for (const key of keys) {
      const part = found.get(key.pk);
      if (!part) return undefined;
      parts.push(part);
    }
    try {
      const parsed = z.array(RuleSchema).parse(JSON.parse(gunzipSync(Buffer.concat(parts)).toString('utf8')));
      return parsed;
    } catch (error) {
      throw new RulesStoreError(`policy snapshot ${head.snapshot} in ${this.tableName} is unreadable`, {
        cause: error,
      });
    }
  }

  private async deleteSnapshot(snapshot: string, chunks: number): Promise<void> {
    await this.writeItems(
      Array.from({ length: chunks }, (_, i) => ({ DeleteRequest: { Key: { pk: chunkKey(snapshot, i) } } })),
    );
  }

  private async writeItems(requests: Record<string, unknown>[]): Promise<void> {
    try {
      for (let i = 0; i < requests.length; i += 25) {
        let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
        for (let round = 0; pending && pending.length > 0; round++) {
          if (round >= 8) throw new Error('DynamoDB kept items unprocessed');
          const out: BatchWriteCommandOutput = await this.doc.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
          );
          pending = out.UnprocessedItems?.[this.tableName];
        }
      }
    } catch (error) {
      if (error instanceof RulesStoreError) throw error;
      throw new RulesStoreError(`could not write policy items to ${this.tableName}`, { cause: error });
    }
  }
}
