import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/embed/image-config.js';
import { RegistryAuthError } from '../../src/images/errors.js';
import { RegistryImageResolver } from '../../src/images/registry-resolver.js';
import { type LocalRegistry, pushImage, startRegistry } from './support/local-registry.js';
import { startTokenService, type TokenService, tokenAuth } from './support/token-service.js';

const run = promisify(execFile);
const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const PASSWORD = 'hunter2-s3cret-Pa55word';
const WRONG = 'wrong-Pa55word-not-right';

/** Everything an error shows, through every path a caller might print it. */
function everything(error: unknown): string {
  return [
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: 10 }),
    (error as Error).stack ?? '',
  ].join('\n');
}

function expectNoSecrets(text: string, secrets: string[]): void {
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
  }
}

describe('Function: RegistryImageResolver.resolve (registries that demand auth)', () => {
  let open: LocalRegistry;
  let tokens: TokenService;
  let bearer: LocalRegistry;
  let basic: LocalRegistry;
  let htpasswdDir: string;

  beforeAll(async () => {
    // Push once to an open registry; the auth'd registries serve the same storage.
    open = await startRegistry();
    await Promise.all([
      pushImage(open.host, 'public/app', 'v1', { entrypoint: ['/public'] }),
      pushImage(open.host, 'private/app', 'v1', { entrypoint: ['/private'], cmd: ['--serve'] }),
    ]);
    tokens = await startTokenService({ puller: PASSWORD });
    bearer = await startRegistry({
      storage: open.storage,
      auth: tokenAuth(tokens),
    });
    htpasswdDir = mkdtempSync(join(tmpdir(), 'ecs-admission-htpasswd-'));
    const { stdout } = await run('htpasswd', ['-Bbn', 'puller', PASSWORD]);
    writeFileSync(join(htpasswdDir, 'htpasswd'), stdout);
    basic = await startRegistry({
      storage: open.storage,
      auth: { kind: 'htpasswd', file: join(htpasswdDir, 'htpasswd') },
    });
  });

  afterAll(async () => {
    await Promise.all([open?.stop(), bearer?.stop(), basic?.stop(), tokens?.stop()]);
    if (htpasswdDir) rmSync(htpasswdDir, { recursive: true, force: true });
  });

  it('gets an anonymous pull token for a public repository (bearer challenge)', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();
    const before = tokens.requests.length;

    // Act
    const resolved = await resolver.resolve(`${bearer.host}/public/app:v1`, AMD64);

    // Assess
    expect(resolved.config.entrypoint).toEqual(['/public']);
    const asked = tokens.requests.slice(before);
    expect(asked).toHaveLength(1); // the token is reused for the config blob
    expect(asked[0]).toEqual({ scope: ['repository:public/app:pull'], user: undefined });
  });

  it('gets a token with credentials for a private repository', async () => {
    // Prepare
    const resolver = new RegistryImageResolver({
      credentials: async () => ({ username: 'puller', password: PASSWORD }),
    });

    // Act
    const resolved = await resolver.resolve(`${bearer.host}/private/app:v1`, AMD64);

    // Assess
    expect(resolved.config).toMatchObject({ entrypoint: ['/private'], cmd: ['--serve'] });
    expect(tokens.requests.at(-1)?.user).toBe('puller');
  });

  it('reports access denied when an anonymous token does not grant the private repository', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();

    // Act
    const act = resolver.resolve(`${bearer.host}/private/app:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(RegistryAuthError);
    await expect(act).rejects.toThrow(/access denied: the repository does not exist or needs credentials/);
  });

  it('reports the token service refusing wrong credentials, without the password anywhere', async () => {
    // Prepare
    const logs: string[] = [];
    const resolver = new RegistryImageResolver({
      credentials: async () => ({ username: 'puller', password: WRONG }),
      logger: { debug: (message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`) },
    });

    // Act
    const error = await resolver.resolve(`${bearer.host}/private/app:v1`, AMD64).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(String(error)).toMatch(
      /token service 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401: incorrect username or password\)/,
    );
    expectNoSecrets(`${everything(error)}\n${logs.join('\n')}`, [WRONG, `puller:${WRONG}`]);
  });

  it('sends Basic credentials after a Basic challenge', async () => {
    // Prepare
    const resolver = new RegistryImageResolver({
      credentials: async () => ({ username: 'puller', password: PASSWORD }),
    });

    // Act
    const resolved = await resolver.resolve(`${basic.host}/private/app:v1`, AMD64);

    // Assess
    expect(resolved.config.entrypoint).toEqual(['/private']);
  });

  it('says credentials are needed when a Basic registry is asked anonymously', async () => {
    // Prepare
    const resolver = new RegistryImageResolver();

    // Act
    const act = resolver.resolve(`${basic.host}/public/app:v1`, AMD64);

    // Assess
    await expect(act).rejects.toThrow(
      /registry requires a user name and password \(HTTP 401, Basic auth\): give the container repositoryCredentials/,
    );
  });

  it('names the secret it was not allowed to read when the container has repositoryCredentials', async () => {
    // Prepare
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-creds-AbCdEf';
    const resolver = new RegistryImageResolver();

    // Act
    const act = resolver.resolve(`${basic.host}/public/app:v1`, AMD64, { credentialsParameter: secret });

    // Assess
    await expect(act).rejects.toThrow(`repositoryCredentials secret ${secret} was not read`);
  });

  it('reports refused Basic credentials with the status, without the password anywhere', async () => {
    // Prepare
    const logs: string[] = [];
    const resolver = new RegistryImageResolver({
      credentials: async () => ({ username: 'puller', password: WRONG }),
      logger: { debug: (message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`) },
    });

    // Act
    const error = await resolver.resolve(`${basic.host}/private/app:v1`, AMD64).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as RegistryAuthError).status).toBe(401);
    expect(String(error)).toContain('the registry refused the credentials (HTTP 401');
    expect(String(error)).toContain(`image "${basic.host}/private/app:v1" (registry ${basic.host})`);
    expectNoSecrets(`${everything(error)}\n${logs.join('\n')}`, [WRONG, `puller:${WRONG}`]);
  });

  it('never logs tokens or credentials on a successful look-up', async () => {
    // Prepare
    const logs: string[] = [];
    const seen: string[] = [];
    const resolver = new RegistryImageResolver({
      credentials: async () => ({ username: 'puller', password: PASSWORD }),
      logger: { debug: (message, fields) => logs.push(`${message} ${JSON.stringify(fields)}`) },
      fetchImpl: async (input, init) => {
        const auth = new Headers(init?.headers).get('authorization');
        if (auth !== null) seen.push(auth.replace(/^(Bearer|Basic) /, ''));
        return fetch(input, init);
      },
    });

    // Act
    await resolver.resolve(`${bearer.host}/private/app:v1`, AMD64);
    await resolver.resolve(`${basic.host}/private/app:v1`, AMD64);

    // Assess
    expect(seen.length).toBeGreaterThan(0);
    expect(logs.length).toBeGreaterThan(0);
    expectNoSecrets(logs.join('\n'), [PASSWORD, ...seen]);
  });
});
