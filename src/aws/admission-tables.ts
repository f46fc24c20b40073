import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableAndWait } from './create-table.js';

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
  await createTableAndWait(client, stateTableDefinition(names.stateTable));
  await createTableAndWait(client, indexTableDefinition(names.indexTable));
}
