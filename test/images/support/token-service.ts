import { execFile } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RegistryAuth } from './local-registry.js';

const run = promisify(execFile);

/** A Docker token service (the spec the distribution registry's `auth.token` trusts) on loopback. */
export interface TokenService {
  realm: string;
  service: string;
  issuer: string;
  /** PEM bundle the registry verifies tokens with. */
  rootCertBundle: string;
  /** Every request received: scopes asked and the user name, if any (never the password). */
  requests: { scope: string[]; user: string | undefined }[];
  stop(): Promise<void>;
}

/** Registry auth settings that trust `tokens` (pass as `startRegistry({ auth })`). */
export function tokenAuth(tokens: TokenService): RegistryAuth {
  return {
    kind: 'token',
    realm: tokens.realm,
    service: tokens.service,
    issuer: tokens.issuer,
    rootCertBundle: tokens.rootCertBundle,
  };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * Starts a token service: anonymous users get pull access to every repository not under
 * `private/`; `users` get pull (and push) everywhere; wrong passwords get 401. Like Docker Hub, an
 * anonymous request for a private repository gets a token with no access, which the registry then
 * refuses. Tokens are RS256 JWTs whose `x5c` header carries a self-signed certificate made with
 * openssl, which the registry trusts through `rootcertbundle`.
 */
export async function startTokenService(users: Record<string, string>): Promise<TokenService> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-admission-token-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=ecs-admission-test-token-issuer',
  ]);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
  const service = 'ecs-admission-test-registry';
  const issuer = 'ecs-admission-test-issuer';
  const requests: TokenService['requests'] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (name === undefined || users[name] !== rest.join(':')) {
        requests.push({ scope: scopes, user: name });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    requests.push({ scope: scopes, user });
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || name === undefined || actions === undefined) return [];
      if (user === undefined && name.startsWith('private/')) return [];
      return [{ type, name, actions: user === undefined ? ['pull'] : actions.split(',') }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims = b64url(
      JSON.stringify({
        iss: issuer,
        sub: user ?? '',
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const signature = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), key));
    const token = `${header}.${claims}.${signature}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certFile,
    requests,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
