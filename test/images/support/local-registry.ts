import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TestImageSpec, writeOciLayout } from './oci-layout.js';

const run = promisify(execFile);

/** Auth a test registry demands. */
export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; file: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

/** A running `docker-registry` (the CNCF distribution registry) on loopback. */
export interface LocalRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  storage: string;
  stop(): Promise<void>;
}

function authYaml(auth: RegistryAuth): string {
  switch (auth.kind) {
    case 'none':
      return '';
    case 'htpasswd':
      return `auth:\n  htpasswd:\n    realm: test-basic\n    path: ${auth.file}\n`;
    case 'token':
      return `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertBundle}\n`;
  }
}

/**
 * Starts Debian's `docker-registry` on 127.0.0.1 with a free port (read back from its log) and
 * filesystem storage (a new temp dir, or `storage` to share pushed images with another instance).
 * Fails, never skips, when the tool is missing: `bash scripts/setup.sh --system` installs it.
 */
export async function startRegistry(
  options: { auth?: RegistryAuth; storage?: string } = {},
): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-admission-registry-'));
  const storage = options.storage ?? join(dir, 'data');
  const configFile = join(dir, 'config.yml');
  writeFileSync(
    configFile,
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n  secret: test-secret\n${authYaml(options.auth ?? { kind: 'none' })}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const host = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`docker-registry did not start within 10 s:\n${log}`)),
      10_000,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(
          `cannot start docker-registry (${error.message}); install it with: bash scripts/setup.sh --system`,
        ),
      );
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${code}:\n${log}`));
    });
  });
  return {
    host,
    storage,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pushes a hand-written image (or multi-platform index) with skopeo, optionally as Docker v2 schema 2. */
export async function pushImage(
  host: string,
  name: string,
  tag: string,
  specs: TestImageSpec | TestImageSpec[],
  options: { format?: 'oci' | 'v2s2'; creds?: string } = {},
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-admission-oci-'));
  try {
    writeOciLayout(dir, tag, specs);
    const args = [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      ...(Array.isArray(specs) ? ['--all'] : []),
      ...(options.format === undefined ? [] : ['--format', options.format]),
      ...(options.creds === undefined ? [] : ['--dest-creds', options.creds]),
      `oci:${dir}:${tag}`,
      `docker://${host}/${name}:${tag}`,
    ];
    await run('skopeo', args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
