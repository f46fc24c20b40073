import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CompiledPolicy } from '../../../src/policy/compiled-policy.js';

/** What the fake saw, for the tests' assertions. */
export interface FakeRequestLog {
  policyGets: {
    container: string;
    image: string;
    ifNoneMatch: string | undefined;
    auth: string | undefined;
  }[];
  auditPosts: { audits: Record<string, unknown>[]; auth: string | undefined }[];
}

/**
 * A small policy service on 127.0.0.1 (real HTTP): serves `policies[container]` with an ETag,
 * answers 304 on a matching If-None-Match, collects audit batches. `failNextAudits` makes the next
 * N audit posts answer 503; `auditFailedIndexes` makes the next post report entries as failed.
 */
export class FakePolicyServer {
  readonly log: FakeRequestLog = { policyGets: [], auditPosts: [] };
  policies: Record<string, CompiledPolicy> = {};
  failNextAudits = 0;
  failNextPolicies = 0;
  auditFailedIndexes: number[] = [];
  token = 'test-token';
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every audit accepted so far, in order. */
  get audits(): Record<string, unknown>[] {
    return this.log.auditPosts.flatMap((p) => p.audits);
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(
    req: IncomingMessage,
  ): Promise<{ status: number; headers: Record<string, string>; body?: string }> {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (auth !== `Bearer ${this.token}`) return { status: 401, headers: {}, body: '{"message":"bad token"}' };
    if (req.method === 'GET' && url.pathname === '/v1/policy') {
      const container = url.searchParams.get('container') ?? '';
      const ifNoneMatch = req.headers['if-none-match'];
      this.log.policyGets.push({ container, image: url.searchParams.get('image') ?? '', ifNoneMatch, auth });
      if (this.failNextPolicies > 0) {
        this.failNextPolicies--;
        return { status: 503, headers: {} };
      }
      const policy = this.policies[container];
      if (!policy) return { status: 404, headers: {} };
      const body = JSON.stringify(policy);
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (ifNoneMatch === etag) return { status: 304, headers: { etag } };
      return { status: 200, headers: { etag, 'content-type': 'application/json' }, body };
    }
    if (req.method === 'POST' && url.pathname === '/v1/audits') {
      if (this.failNextAudits > 0) {
        this.failNextAudits--;
        return { status: 503, headers: {} };
      }
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        audits: Record<string, unknown>[];
      };
      const failed = this.auditFailedIndexes;
      this.auditFailedIndexes = [];
      this.log.auditPosts.push({ audits: parsed.audits.filter((_, i) => !failed.includes(i)), auth });
      return {
        status: 202,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          accepted: parsed.audits.length - failed.length,
          failed: failed.map((index) => ({ index, error: 'bus' })),
        }),
      };
    }
    return { status: 404, headers: {} };
  }
}
