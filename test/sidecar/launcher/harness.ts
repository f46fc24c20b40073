// Shared by the launcher tests and bench: builds the launcher and the small C clients, runs the
// launcher for real (no mocks: ptrace, seccomp and network namespaces of this kernel), reads audits
// through the audit contract, and gives a network namespace with its own DNS server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Audit, AuditSchema } from '../../../src/audit/audit.js';
import { type CompiledPolicy, CompiledPolicySchema } from '../../../src/policy/compiled-policy.js';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const launcherPath = join(repoRoot, 'sidecar/launcher/build/launcher');

/** Fails (never skips) when a tool the tests need is missing: scripts/setup.sh --system installs them. */
export function requireTools(...tools: string[]): void {
  for (const tool of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' });
    } catch {
      throw new Error(`${tool} is not installed: run scripts/setup.sh --system (scripts/apt-packages.txt)`);
    }
  }
}

/** Builds the launcher (make is incremental, so this is cheap when `npm run build` already ran). */
export function buildLauncher(): string {
  requireTools('make', 'musl-gcc', 'gcc');
  execFileSync('make', ['-C', join(repoRoot, 'sidecar/launcher'), '--no-print-directory', '-s'], {
    stdio: 'pipe',
  });
  return launcherPath;
}

type Toolchain = 'musl' | 'glibc-static' | 'glibc';

/**
 * Compiles test/sidecar/launcher/clients/NAME.c (plus extraSources) into dir with the given C library;
 * returns its path.
 */
export function buildClient(
  dir: string,
  name: string,
  toolchain: Toolchain,
  output = name,
  extraSources: string[] = [],
): string {
  const source = join(here, 'clients', `${name}.c`);
  const out = join(dir, output);
  const [cc, flags] =
    toolchain === 'musl'
      ? ['musl-gcc', ['-static']]
      : toolchain === 'glibc-static'
        ? ['gcc', ['-static', '-no-pie']]
        : ['gcc', []];
  execFileSync(cc, [...flags, '-O2', '-pthread', '-D_GNU_SOURCE', '-o', out, source, ...extraSources], {
    stdio: 'pipe',
  });
  return out;
}

/** Compiles clients/NAME.go (pure-Go resolver, static: CGO disabled) into dir; returns its path. */
export function buildGoClient(dir: string, name: string, output = `${name}-go`): string {
  requireTools('go');
  const out = join(dir, output);
  execFileSync('go', ['build', '-o', out, join(here, 'clients', `${name}.go`)], {
    stdio: 'pipe',
    env: {
      ...process.env,
      CGO_ENABLED: '0',
      GO111MODULE: 'off',
      // A cache kept between runs: the first build compiles the standard library.
      GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'ecs-admission-gocache'),
    },
  });
  return out;
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ecsadm-${prefix}-`));
}

/**
 * What every launcher test file starts with: checks the tools it needs (failing, never skipping),
 * builds the launcher and makes the file's temporary folder (`ecsadm-PREFIX-...`).
 */
export function prepareLauncherTest(prefix: string, ...tools: string[]): { launcher: string; dir: string } {
  requireTools(...tools);
  const launcher = buildLauncher();
  return { launcher, dir: makeTempDir(prefix) };
}

/** Writes a compiled policy, checked against the contract first. */
export function writePolicy(file: string, policy: CompiledPolicy): void {
  const checked = CompiledPolicySchema.parse(policy);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(checked));
  // Atomically, as the agent does.
  execFileSync('mv', ['-f', tmp, file]);
}

/** Reads the NDJSON audit file; every line must satisfy the audit contract. */
export function readAudits(file: string): Audit[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => AuditSchema.parse(JSON.parse(line)));
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Called once the process is started, e.g. to send it signals. */
  onStart?: (child: ChildProcess) => void;
}

/**
 * The launcher mechanism the suite runs under (vitest.config.ts runs the launcher tests once per
 * mechanism): passed to every command, and into containers by the tests that start them.
 */
export const mechanismEnv: Record<string, string> = process.env.ECS_ADMISSION_LAUNCHER_MECHANISM
  ? { ECS_ADMISSION_LAUNCHER_MECHANISM: process.env.ECS_ADMISSION_LAUNCHER_MECHANISM }
  : {};

/** Runs a command to completion, capturing its output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...mechanismEnv, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    options.onStart?.(child);
  });
}

/** A policy with every section disabled, to be overridden per test. */
export function policy(overrides: Partial<CompiledPolicy> = {}): CompiledPolicy {
  return {
    version: 'v1',
    rule: 'test-rule',
    processes: { effect: 'disable' },
    dns: { effect: 'disable' },
    network: { effect: 'disable' },
    ...overrides,
  };
}

let netnsCounter = 0;

/**
 * A network namespace with loopback up, 10.53.0.53 (or fd53::53) on it, a DNS server there, and a
 * resolv.conf naming it.
 */
export interface DnsNamespace {
  name: string;
  server: string;
  /** Questions the real DNS server received, as `name/type/protocol`. */
  queries(): string[];
  /** argv prefix that runs a command inside the namespace (with its resolv.conf). */
  exec: string[];
  close(): Promise<void>;
}

/** Removes namespaces left by test processes that died without cleaning up (killed workers). */
function sweepStaleNamespaces(): void {
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const match of listed.matchAll(/^(ecsadm-l(\d+)-\d+)/gm)) {
    const [, name, pid] = match;
    if (!name || !pid || existsSync(`/proc/${pid}`)) continue;
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
    } catch {
      // removed meanwhile
    }
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
}

export async function createDnsNamespace(options: { ipv6?: boolean } = {}): Promise<DnsNamespace> {
  requireTools('ip');
  sweepStaleNamespaces();
  const name = `ecsadm-l${process.pid}-${netnsCounter++}`;
  const server = options.ipv6 ? 'fd53::53' : '10.53.0.53';
  const etc = `/etc/netns/${name}`;
  let child: ChildProcess | undefined;
  const cleanup = () => {
    child?.kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    rmSync(etc, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
    execFileSync('ip', ['-n', name, 'addr', 'add', `${server}/${options.ipv6 ? 128 : 32}`, 'dev', 'lo'], {
      stdio: 'pipe',
    });
    // glibc asks for IPv4 addresses only when the host has a non-loopback one (AI_ADDRCONFIG).
    if (options.ipv6)
      execFileSync('ip', ['-n', name, 'addr', 'add', '10.53.0.54/32', 'dev', 'lo'], { stdio: 'pipe' });
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'resolv.conf'), `nameserver ${server}\noptions timeout:2 attempts:1\n`);
    const lines: string[] = [];
    child = spawn(
      'ip',
      [
        'netns',
        'exec',
        name,
        process.execPath,
        '--import',
        'tsx',
        join(here, 'fixtures/dns-server.ts'),
        server,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error('the test DNS server did not start')), 20_000);
      let buffered = '';
      child?.stdout?.on('data', (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const line of parts) {
          if (line === 'ready') {
            clearTimeout(timer);
            ready();
          } else if (line) {
            const q = JSON.parse(line) as { name: string; type: string; protocol: string };
            lines.push(`${q.name}/${q.type}/${q.protocol}`);
          }
        }
      });
      child?.on('exit', () => fail(new Error('the test DNS server exited')));
    });
    return {
      name,
      server,
      queries: () => [...lines],
      exec: ['ip', 'netns', 'exec', name],
      close: async () => {
        cleanup();
        process.removeListener('exit', cleanup);
      },
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}
