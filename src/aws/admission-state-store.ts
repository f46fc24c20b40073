import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

/** What the controller knows about one source revision (task definitions are immutable). */
export const SourceRecordSchema = z.looseObject({
  state: z.enum(['claimed', 'registered', 'not-applicable']),
  owner: z.string().optional(),
  claimUntil: z.number().optional(),
  protectedArn: z.string().optional(),
  /** For `not-applicable`: the transform's outcome and reason (skipped, already protected, rejected). */
  outcome: z.string().optional(),
  reason: z.string().optional(),
  embedVersion: z.string().optional(),
  /** Services whose protected deployment the circuit breaker rolled back: never moved again. */
  rolledBack: z.array(z.string()).optional(),
});
export type SourceRecord = z.infer<typeof SourceRecordSchema>;

export type ClaimResult =
  | { result: 'claimed'; previous: SourceRecord | undefined }
  | { result: 'done'; record: SourceRecord }
  | { result: 'busy'; record: SourceRecord | undefined };

/** The sweep's place in the account, so a run that runs short of time is continued by the next. */
export const SweepCursorSchema = z.object({
  clusterIndex: z.number().int().min(0),
  nextToken: z.string().optional(),
  startedAt: z.string(),
  counts: z.record(z.string(), z.number()),
});
export type SweepCursor = z.infer<typeof SweepCursorSchema>;

const SOURCE = 'source#';
const TWIN = 'twin#';
const CURSOR = 'cursor#sweep';

/**
 * The idempotency record behind "exactly-once effect": one item per source revision, claimed with
 * a conditional write before registering its protected twin, so duplicated and concurrent events
 * never register two; the twin's ARN is recorded right after, and a claim left by a crash expires
 * and is taken over (the taker then looks for the twin by its marker before registering).
 */
export class AdmissionStateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getSource(sourceArn: string): Promise<SourceRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: SOURCE + sourceArn }, ConsistentRead: true }),
    );
    return out.Item ? SourceRecordSchema.parse(out.Item) : undefined;
  }

  /** The source of a protected twin the controller registered or saw, if this ARN is one. */
  async twinSource(arn: string): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: TWIN + arn } }));
    return typeof out.Item?.sourceArn === 'string' ? out.Item.sourceArn : undefined;
  }

  /** Claims a source revision for `ttlMs`; an expired claim (its holder crashed) is taken over. */
  async claim(sourceArn: string, owner: string, now: number, ttlMs: number): Promise<ClaimResult> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: SOURCE + sourceArn },
          UpdateExpression: 'SET #state = :claimed, #owner = :owner, claimUntil = :until',
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND claimUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':claimed': 'claimed',
            ':owner': owner,
            ':until': now + ttlMs,
            ':now': now,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return {
        result: 'claimed',
        previous: out.Attributes ? SourceRecordSchema.parse(out.Attributes) : undefined,
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const record = await this.getSource(sourceArn);
      if (record && record.state !== 'claimed') return { result: 'done', record };
      return { result: 'busy', record };
    }
  }

  /** Records the registered twin (and its reverse entry), completing the claim. */
  async recordTwin(sourceArn: string, protectedArn: string): Promise<void> {
    await this.markTwin(protectedArn, sourceArn);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: SOURCE + sourceArn },
        UpdateExpression: 'SET #state = :registered, protectedArn = :p REMOVE claimUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':registered': 'registered', ':p': protectedArn },
      }),
    );
  }

  /** Remembers that an ARN is protected, so later events about it cost no ECS call. */
  async markTwin(protectedArn: string, sourceArn: string): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { pk: TWIN + protectedArn, sourceArn } }),
    );
  }

  /** Remembers why a revision needs nothing (skipped, already protected, rejected): it never changes. */
  async recordNotApplicable(
    sourceArn: string,
    outcome: string,
    reason: string,
    embedVersion: string,
  ): Promise<void> {
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: SOURCE + sourceArn },
          UpdateExpression:
            'SET #state = :na, outcome = :o, reason = :r, embedVersion = :v REMOVE claimUntil',
          ConditionExpression: 'attribute_not_exists(pk) OR #state <> :registered',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':na': 'not-applicable',
            ':o': outcome,
            ':r': reason,
            ':v': embedVersion,
            ':registered': 'registered',
          },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /** Gives a claim back without registering (e.g. the transform rejected the revision). */
  async release(sourceArn: string, owner: string): Promise<void> {
    await this.doc
      .send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: SOURCE + sourceArn },
          ConditionExpression: '#state = :claimed AND #owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':owner': owner },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /** Records that the circuit breaker rolled `serviceArn` back from the protected twin. */
  async addRollback(sourceArn: string, serviceArn: string): Promise<void> {
    const record = await this.getSource(sourceArn);
    const list = new Set(record?.rolledBack ?? []);
    list.add(serviceArn);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: SOURCE + sourceArn },
        UpdateExpression: 'SET rolledBack = :l',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':l': [...list] },
      }),
    );
  }

  async getCursor(): Promise<SweepCursor | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: CURSOR }, ConsistentRead: true }),
    );
    return out.Item ? SweepCursorSchema.parse(out.Item.cursor) : undefined;
  }

  async putCursor(cursor: SweepCursor): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: CURSOR, cursor } }));
  }

  async clearCursor(): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: CURSOR } }));
  }
}
