import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'hang' }
  | { kind: 'stall-body' }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'tamper'; edit: (body: Buffer) => Buffer }
  | { kind: 'huge'; bytes: number; declareLength: boolean };

/** A proxy in front of a registry that misbehaves on purpose (slow, broken, lying, huge). */
export interface FaultProxy {
  host: string;
  /** Paths requested since the last setFault, in order. */
  requests: string[];
  /** `count` is how many times this path has been asked since this fault was set (1 for the first). */
  setFault(fault: (path: string, count: number) => Fault): void;
  stop(): Promise<void>;
}

const FORWARDED = [
  'content-type',
  'docker-content-digest',
  'www-authenticate',
  'location',
  'docker-distribution-api-version',
];

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  let decide: (path: string, count: number) => Fault = () => ({ kind: 'pass' });
  const requests: string[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push(path);
    const fault = decide(path, requests.filter((p) => p === path).length);
    if (fault.kind === 'hang') {
      hanging.add(res);
      return;
    }
    if (fault.kind === 'stall-body') {
      // Headers and a first chunk arrive at once; the rest never does.
      hanging.add(res);
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'content-length': '1000',
      });
      res.write('{"schemaVersion":');
      return;
    }
    if (fault.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    if (fault.kind === 'huge') {
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        ...(fault.declareLength ? { 'content-length': String(fault.bytes) } : {}),
      });
      res.end(Buffer.alloc(fault.bytes, 0x20));
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'authorization']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    fetch(`http://${upstream}${path}`, { headers, redirect: 'manual' })
      .then(async (answer) => {
        let body: Buffer = Buffer.from(await answer.arrayBuffer());
        if (fault.kind === 'tamper' && answer.status === 200) body = fault.edit(body);
        const out: Record<string, string> = { 'content-length': String(body.length) };
        for (const name of FORWARDED) {
          const value = answer.headers.get(name);
          if (value !== null) out[name] = value;
        }
        res.writeHead(answer.status, out);
        res.end(body);
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    setFault(fault) {
      decide = fault;
      // Counts start again with each fault, so "the first request" means the first one after it.
      requests.length = 0;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
