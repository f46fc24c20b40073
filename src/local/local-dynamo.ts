import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Dynalite = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

/** An in-memory DynamoDB (dynalite) on 127.0.0.1 with a client pointed at it. */
export interface LocalDynamo {
  client: DynamoDBClient;
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on port 0. It is loaded at run time, not bundled: its LevelDB binding must stay
 * a real module beside node_modules (the CLI bundle cannot carry it). `createTableMs` is how long a
 * new table stays CREATING (DynamoDB takes seconds; 0 here unless a test needs the wait).
 */
export async function startLocalDynamo(options: { createTableMs?: number } = {}): Promise<LocalDynamo> {
  const load = createRequire(import.meta.url);
  const dynalite = load('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: options.createTableMs ?? 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
