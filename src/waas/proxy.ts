import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { appendFile, chmod, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CompiledWaas } from '../policy/compiled-policy.js';
import { ModsecRecordSchema, modsecToAudit, type WaasAuditContext } from './audit-convert.js';
import { WaasProcessError } from './errors.js';
import { renderConfig, type WaasSystemPaths } from './render-config.js';

const run = promisify(execFile);

export interface WaasProxyOptions extends WaasAuditContext {
  listenPort: number;
  /** 127.0.0.1 for local use; 0.0.0.0 in the sidecar. */
  listenHost?: string;
  upstreamPort: number;
  /** NDJSON file the `waas` audits are appended to (the agent ships it). */
  auditFile: string;
  /** Defaults to a new temporary directory, removed on stop. */
  workDir?: string;
  nginxBinary?: string;
  paths?: WaasSystemPaths;
  /** How often the ModSecurity audit log is read. */
  auditPollMs?: number;
  onError?: (error: Error) => void;
}

/**
 * The WAAS reverse proxy: Debian's nginx with ModSecurity v3 and the OWASP CRS, configured from
 * the compiled `waas` policy, in the foreground as a child process. Reloads (new policy) go through
 * `nginx -t` first and then SIGHUP, so a bad policy never replaces a working one and in-flight
 * connections finish on the old workers. ModSecurity's JSON audit records become `waas` audits.
 */
export class WaasProxy {
  private child: ChildProcess | undefined;
  private workDir = '';
  private ownsWorkDir = false;
  private auditOffset = 0;
  private auditTimer: NodeJS.Timeout | undefined;
  private tailing: Promise<void> = Promise.resolve();
  private stderr = '';
  private exited: Promise<number | null> | undefined;
  /** Audits written so far. */
  audits = 0;

  constructor(private readonly options: WaasProxyOptions) {}

  get nginx(): string {
    return this.options.nginxBinary ?? 'nginx';
  }

  private get files() {
    const w = this.workDir;
    return {
      conf: join(w, 'nginx.conf'),
      modsec: join(w, 'modsecurity.conf'),
      modsecLog: join(w, 'modsec-audit.json'),
      errorLog: join(w, 'error.log'),
      pid: join(w, 'nginx.pid'),
    };
  }

  /** nginx's own pid (the master), once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async write(waas: CompiledWaas): Promise<void> {
    const rendered = renderConfig(waas, {
      listenPort: this.options.listenPort,
      listenHost: this.options.listenHost ?? '127.0.0.1',
      upstreamPort: this.options.upstreamPort,
      workDir: this.workDir,
      modsecAuditLog: this.files.modsecLog,
      // Workers drop root; they need only the sockets and temp directories nginx hands them.
      user: process.getuid?.() === 0 ? 'nobody nogroup' : undefined,
      paths: this.options.paths,
    });
    await writeFile(this.files.modsec, rendered.modsecurityConf);
    await writeFile(this.files.conf, rendered.nginxConf);
  }

  private async test(): Promise<void> {
    const f = this.files;
    try {
      await run(this.nginx, ['-t', '-q', '-p', this.workDir, '-c', f.conf, '-e', f.errorLog]);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new WaasProcessError(`nginx rejected the WAAS configuration: ${stderr.trim()}`, stderr, {
        cause: error,
      });
    }
  }

  /** Renders the configuration, checks it, starts nginx and waits until the port accepts connections. */
  async start(waas: CompiledWaas): Promise<void> {
    if (this.options.workDir) {
      this.workDir = this.options.workDir;
      await mkdir(this.workDir, { recursive: true });
    } else {
      this.workDir = await mkdtemp(join(tmpdir(), 'ecs-admission-waas-'));
      this.ownsWorkDir = true;
    }
    // Workers (nobody) must reach the temp directories nginx creates for them inside.
    await chmod(this.workDir, 0o711);
    await mkdir(join(this.workDir, 'modsec-tmp'), { recursive: true });
    await mkdir(join(this.workDir, 'modsec-data'), { recursive: true });
    await rm(join(this.workDir, 'waf.sock'), { force: true });
    await (await open(this.files.modsecLog, 'a', 0o600)).close();
    this.auditOffset = (await stat(this.files.modsecLog)).size;
    await this.write(waas);
    await this.test();
    const f = this.files;
    const child = spawn(this.nginx, ['-p', this.workDir, '-c', f.conf, '-e', f.errorLog], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    while (!(await canConnect(this.options.listenHost ?? '127.0.0.1', this.options.listenPort))) {
      if (child.exitCode !== null || Date.now() - started > 10_000) {
        const log = await readFile(f.errorLog, 'utf8').catch(() => '');
        await this.stop();
        throw new WaasProcessError(
          `nginx did not start listening on port ${this.options.listenPort}: ${(this.stderr || log).trim().slice(-500)}`,
          this.stderr,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    this.auditTimer = setInterval(() => {
      this.convertAudits().catch((e: unknown) => this.fail(e));
    }, this.options.auditPollMs ?? 200);
  }

  private fail(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  /** Applies a new policy without dropping connections; on a bad configuration the old one stays. */
  async reload(waas: CompiledWaas): Promise<void> {
    const f = this.files;
    const [oldConf, oldModsec] = await Promise.all([readFile(f.conf, 'utf8'), readFile(f.modsec, 'utf8')]);
    await this.write(waas);
    try {
      await this.test();
    } catch (error) {
      await writeFile(f.conf, oldConf);
      await writeFile(f.modsec, oldModsec);
      throw error;
    }
    const pid = this.child?.pid;
    if (!pid) throw new WaasProcessError('nginx is not running', this.stderr);
    const before = await children(pid);
    process.kill(pid, 'SIGHUP');
    // Applied once a new worker is up and every old one has stopped accepting (it is gone, or
    // "shutting down" while it finishes its open connections).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const now = await children(pid);
      if (now.some((c) => !before.includes(c))) {
        const old = now.filter((c) => before.includes(c));
        const titles = await Promise.all(
          old.map((c) => readFile(`/proc/${c}/cmdline`, 'utf8').catch(() => '')),
        );
        if (titles.every((t) => t === '' || t.includes('shutting down') || !t.includes('worker'))) return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new WaasProcessError('nginx did not start new workers after SIGHUP', this.stderr);
  }

  /** Moves new ModSecurity audit records into the audit file; returns how many audits were written. */
  convertAudits(): Promise<number> {
    // One conversion at a time: two readers at the same offset would write every audit twice.
    const next = this.tailing.then(() => this.convertNewRecords());
    this.tailing = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  private async convertNewRecords(): Promise<number> {
    const f = this.files;
    let size: number;
    try {
      size = (await stat(f.modsecLog)).size;
    } catch {
      return 0;
    }
    if (size < this.auditOffset) this.auditOffset = 0;
    if (size === this.auditOffset) return 0;
    const handle = await open(f.modsecLog, 'r');
    const chunk = Buffer.alloc(size - this.auditOffset);
    try {
      await handle.read(chunk, 0, chunk.length, this.auditOffset);
    } finally {
      await handle.close();
    }
    const last = chunk.lastIndexOf(10);
    if (last < 0) return 0;
    this.auditOffset += last + 1;
    const out: string[] = [];
    for (const line of chunk.subarray(0, last).toString('utf8').split('\n')) {
      const text = line.replace(/^\0+/, '').trim();
      if (!text) continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = ModsecRecordSchema.safeParse(record);
      if (!parsed.success) continue;
      const audit = modsecToAudit(parsed.data, this.options);
      if (audit) out.push(JSON.stringify(audit));
    }
    if (out.length > 0) {
      await appendFile(this.options.auditFile, `${out.join('\n')}\n`, { mode: 0o666 });
      this.audits += out.length;
    }
    return out.length;
  }

  /** Graceful stop (SIGQUIT: in-flight requests finish), then converts the last audit records. */
  async stop(): Promise<void> {
    if (this.auditTimer) clearInterval(this.auditTimer);
    this.auditTimer = undefined;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000));
      if ((await Promise.race([this.exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await this.exited;
      }
    }
    this.child = undefined;
    await this.tailing.catch(() => {});
    if (this.workDir) await this.convertAudits().catch(() => 0);
    if (this.ownsWorkDir && this.workDir) await rm(this.workDir, { recursive: true, force: true });
  }

  /** Resolves with nginx's exit code when it exits on its own. */
  get done(): Promise<number | null> {
    return this.exited ?? Promise.resolve(null);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}
