import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';

/** One service as last seen, filed under the family of the task definition it ran. */
export const IndexEntrySchema = z.object({
  family: z.string(),
  /** Service ARN (sort key). */
  service: z.string(),
  cluster: z.string(),
  serviceName: z.string(),
  taskDefinition: z.string(),
});
export type IndexEntry = z.infer<typeof IndexEntrySchema>;

const META = '#meta';

/**
 * Family → services, so finding the services that run a revision does not cost a scan of the
 * account per event. Fed by service events and the sweep; `complete` says a full scan has filled
 * it, before which callers fall back to scanning. Entries can be stale (a missed event): callers
 * confirm with DescribeServices before acting, and the sweep corrects what drifted.
 */
export class ServiceIndex {
  /** `scope` (an account ID) keeps each account's "complete" mark apart when one table serves several. */
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly scope = '',
  ) {}

  private get completeKey(): string {
    return this.scope ? `complete#${this.scope}` : 'complete';
  }

  async put(entry: IndexEntry): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: entry }));
  }

  async putMany(entries: readonly IndexEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 25) {
      let requests = entries.slice(i, i + 25).map((e) => ({ PutRequest: { Item: e } }));
      // BatchWrite may leave items unprocessed under load: resend them until none are left.
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`index: ${requests.length} item(s) stayed unprocessed`);
        const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
    }
  }

  async servicesOf(family: string): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          // `family` is a DynamoDB reserved word: it must go through an attribute name.
          KeyConditionExpression: '#f = :f',
          ExpressionAttributeNames: { '#f': 'family' },
          ExpressionAttributeValues: { ':f': family },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(IndexEntrySchema.parse(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Whether a complete scan has filled the index (after which it can answer alone). */
  async isComplete(): Promise<boolean> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { family: META, service: this.completeKey } }),
    );
    return out.Item !== undefined;
  }

  async markComplete(time: string): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: { family: META, service: this.completeKey, time } }),
    );
  }
}
