import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableAndWait } from '../../src/aws/create-table.js';
import { startLocalDynamo } from '../../src/local/local-dynamo.js';

/** A DynamoDB-compatible server (dynalite, in memory) on 127.0.0.1 and a client pointed at it. */
export interface DynamoServer {
  client: DynamoDBClient;
  endpoint: string;
  /** Creates a fresh table keyed by the string attribute `pk` and returns its name. */
  createTable(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

/** Starts dynalite on port 0 (through src/local/local-dynamo.ts) for one test file; stop it in afterAll. */
export async function startDynamoServer(): Promise<DynamoServer> {
  const { client, endpoint, close } = await startLocalDynamo();
  return {
    client,
    endpoint,
    async createTable(prefix = 'policy') {
      tables += 1;
      const name = `${prefix}-${process.pid}-${tables}`;
      await createTableAndWait(client, {
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      return name;
    },
    stop: close,
  };
}
