import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/**
 * Creates a table and resolves once it is ACTIVE. CreateTable answers while the table is still
 * CREATING, and DynamoDB (dynalite too, even with createTableMs 0) refuses reads and writes to it
 * until then with ResourceNotFoundException: a write sent right after the create can fail.
 * For tests and the local stack; in AWS the stack owns the tables.
 */
export async function createTableAndWait(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
): Promise<void> {
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists(
    { client, minDelay: 0.02, maxDelay: 1, maxWaitTime: 30 },
    { TableName: input.TableName },
  );
}
