import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** A DynamoDB-compatible server (dynalite, in memory) on 127.0.0.1 and a client pointed at it. */
export interface DynamoServer {
  client: DynamoDBClient;
  endpoint: string;
  /** Creates a fresh table keyed by the string attribute `pk` and returns its name. */
  createTable(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

/** Starts dynalite on port 0 for one test file; stop it in afterAll. */
export async function startDynamoServer(): Promise<DynamoServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    client,
    endpoint,
    async createTable(prefix = 'policy') {
      tables += 1;
      const name = `${prefix}-${process.pid}-${tables}`;
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return name;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
