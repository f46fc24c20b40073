import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableAndWait } from '../../src/aws/create-table.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/local/local-dynamo.js';

// dynalite keeps a new table CREATING for createTableMs, as DynamoDB does for a few seconds.
const CREATING_MS = 300;
let dynamo: LocalDynamo;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ createTableMs: CREATING_MS });
  client = dynamo.client;
});
afterAll(async () => {
  await dynamo.close();
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
