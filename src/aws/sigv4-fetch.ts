import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

type SignerCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256 (or HMAC-SHA256 with a secret) in the shape the signer expects, from node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.create();
  }
}

/** The region of an API Gateway endpoint (`ID.execute-api.REGION.amazonaws.com`), if it is one. */
export function regionOfExecuteApi(url: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(new URL(url).hostname)?.[1];
}

/** Options of {@link createSigV4Fetch}. */
export interface SigV4FetchOptions {
  region: string;
  /** Signing name; `execute-api` for API Gateway. */
  service?: string;
  /** Credentials (default: the SDK's default chain: environment, profile, SSO, container, instance). */
  credentials?: SignerCredentials;
  fetchImpl?: typeof fetch;
}

/**
 * A `fetch` that signs each request with AWS Signature Version 4, for the IAM-authorized admin
 * routes of the policy service (`/v1/rules`, `/v1/embed`) behind API Gateway.
 */
export function createSigV4Fetch(
  options: SigV4FetchOptions,
): (url: string, init?: RequestInit) => Promise<Response> {
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });
  const fetchImpl = options.fetchImpl ?? fetch;
  return async (url, init = {}) => {
    const target = new URL(url);
    const headers: Record<string, string> = { host: target.host };
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const query: Record<string, string> = {};
    target.searchParams.forEach((value, name) => {
      query[name] = value;
    });
    const body = typeof init.body === 'string' ? init.body : undefined;
    const signed = await signer.sign({
      method: init.method ?? 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    return fetchImpl(url, { ...init, headers: signed.headers });
  };
}
