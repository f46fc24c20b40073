import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableAndWait } from '../../src/aws/create-table.js';

// dynalite keeps a new table CREATING for createTableMs, as DynamoDB does for a few seconds.
const CREATING_MS = 300;
let server: Server;
let client: DynamoDBClient;

beforeAll(async () => {
  const dynalite = createRequire(import.meta.url)('dynalite') as (o: { createTableMs: number }) => Server;
  server = dynalite({ createTableMs: CREATING_MS });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const table = (name: string): CreateTableCommandInput => ({
  TableName: name,
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
});
const put = (name: string) => client.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' } } }));

describe('Function: createTableAndWait', () => {
  it('resolves only once the table is ACTIVE, so the first write lands', async () => {
    // Prepare: what it guards against, a write right after CreateTable.
    await client.send(new CreateTableCommand(table('plain')));
    await expect(put('plain')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    // Act
    await createTableAndWait(client, table('waited'));

    // Assess
    const described = await client.send(new DescribeTableCommand({ TableName: 'waited' }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    await expect(put('waited')).resolves.toBeDefined();
  });

  it('rejects with the create error when the table cannot be made', async () => {
    await expect(createTableAndWait(client, { ...table('x'), TableName: 'no' })).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });
});
