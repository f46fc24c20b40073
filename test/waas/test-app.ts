import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';

/** What the app saw of one request. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  remotePort: number;
}

/**
 * The app behind the proxy: echoes each request as JSON; `/stream` writes two chunks 400 ms apart;
 * `/forbidden` answers its own 403; `/ws` accepts a websocket upgrade and echoes raw bytes.
 * With `record: false` it keeps nothing of what it saw (`seen` stays empty), so a long benchmark
 * does not grow its heap with every request.
 */
export async function startTestApp({ record = true }: { record?: boolean } = {}): Promise<{
  server: Server;
  port: number;
  seen: Seen[];
  close: () => Promise<void>;
}> {
  const seen: Seen[] = [];
  const upgraded = new Set<import('node:stream').Duplex>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (record)
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: body.toString('latin1'),
          remotePort: req.socket.remotePort ?? 0,
        });
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first\n');
        setTimeout(() => res.end('second\n'), 400);
        return;
      }
      if (req.url === '/forbidden') {
        res.writeHead(403, { 'content-type': 'text/plain', 'x-app': 'own-403' });
        res.end('the app says no');
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-app-header': 'kept',
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          bodySha: createHash('sha256').update(body).digest('hex'),
          bodyLength: body.length,
        }),
      );
    });
  });
  server.on('upgrade', (req, socket) => {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('data', (d) => socket.write(d));
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = async () => {
    for (const socket of upgraded) socket.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { server, port: (server.address() as AddressInfo).port, seen, close };
}

/**
 * The same app in a child process (test-app-process.ts), for measurements whose direct path must
 * cross processes as it does between a client and an app container. Runs under the parent's loader
 * (tsx), since `fork` passes the parent's exec arguments on.
 */
export async function startTestAppProcess(): Promise<{ port: number; close: () => Promise<void> }> {
  const child = fork(new URL('./test-app-process.ts', import.meta.url), { stdio: 'inherit' });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number }) =>
      m.port ? resolve(m.port) : reject(new Error('no port')),
    );
    child.once('exit', (code) => reject(new Error(`the test app process exited with code ${code}`)));
  });
  const close = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await exited;
  };
  return { port, close };
}

/**
 * A port that was free a moment ago (nginx needs a number in its configuration), chosen at random
 * below Linux's ephemeral range (32768 and up): the port-0 binds of tests running in parallel never
 * land on it, even while a restarting proxy has let it go.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const s = createNetServer();
    const bound = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((r) => s.close(r));
      return port;
    }
    if (attempt >= 50) throw new Error('no free port found below the ephemeral range');
  }
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** One HTTP/1.1 request with a name in Host (CRS flags numeric hosts, rule 920350); no retry. */
export function send(
  port: number,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: string | Buffer;
    agent?: import('node:http').Agent;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: {
          host: 'app.example.com',
          'user-agent': 'ecs-admission-test/1.0',
          accept: '*/*',
          ...options.headers,
        },
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString('latin1'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
