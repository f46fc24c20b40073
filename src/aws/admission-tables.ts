import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/**
 * Key schemas of the admission tables; serverless.yml (infra) declares the same, and tests and
 * the local stack create them from here so the shapes cannot drift.
 */
export function stateTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

export function indexTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    AttributeDefinitions: [
      { AttributeName: 'family', AttributeType: 'S' },
      { AttributeName: 'service', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'family', KeyType: 'HASH' },
      { AttributeName: 'service', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Creates both tables (for tests and the local stack; in AWS the stack owns them). */
export async function createAdmissionTables(
  client: DynamoDBClient,
  names: { stateTable: string; indexTable: string },
): Promise<void> {
  await client.send(new CreateTableCommand(stateTableDefinition(names.stateTable)));
  await client.send(new CreateTableCommand(indexTableDefinition(names.indexTable)));
}
