import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received: the `X-Amz-Target` operation and its JSON body. */
export interface FakeCall {
  target: string;
  body: Record<string, unknown>;
}

/** A loopback server answering AWS JSON-protocol operations from canned handlers. */
export interface FakeAwsJson {
  endpoint: string;
  calls: FakeCall[];
  stop(): Promise<void>;
}

/**
 * Serves AWS JSON-protocol APIs (Secrets Manager, EventBridge...) on 127.0.0.1:0: each request's
 * `X-Amz-Target` (e.g. `secretsmanager.GetSecretValue`) picks the handler, whose return value is
 * the JSON answer. Unknown operations get the 400 an AWS service would give.
 */
export async function startFakeAwsJson(
  handlers: Record<string, (body: Record<string, unknown>) => unknown>,
): Promise<FakeAwsJson> {
  const calls: FakeCall[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ target, body });
      const handler = handlers[target];
      const answer = handler
        ? { status: 200, json: handler(body) }
        : { status: 400, json: { __type: 'UnknownOperationException', message: target } };
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
