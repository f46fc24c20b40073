import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { WaasProcessError } from './errors.js';

const run = promisify(execFile);

/** One nginx master in the foreground (`daemon off`) whose files live in `dir`. */
export class NginxProcess {
  private child: ChildProcess | undefined;
  private stderr = '';
  private exitedPromise: Promise<number | null> = Promise.resolve(null);

  constructor(
    private readonly binary: string,
    /** Prefix directory; `nginx.conf` and `error.log` are in it. */
    readonly dir: string,
    /** Names this nginx in errors ("front", "WAF"). */
    private readonly role: string,
    /** Extra environment of the master and its workers (e.g. LD_PRELOAD of an allocator). */
    extraEnv: Record<string, string> = {},
  ) {
    this.env = { ...process.env, ...extraEnv };
  }

  private readonly env: NodeJS.ProcessEnv;

  private get conf(): string {
    return `${this.dir}/nginx.conf`;
  }

  private get errorLog(): string {
    return `${this.dir}/error.log`;
  }

  /** `nginx -t`: a configuration nginx refuses never replaces a working one. */
  async test(): Promise<void> {
    try {
      // CRS loads in a second or two; a test that takes a minute is stuck, and says so.
      await run(this.binary, ['-t', '-q', '-p', this.dir, '-c', this.conf, '-e', this.errorLog], {
        timeout: 60_000,
        env: this.env,
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new WaasProcessError(
        `nginx rejected the WAAS ${this.role} configuration: ${stderr.trim()}`,
        stderr,
        {
          cause: error,
        },
      );
    }
  }

  /** Starts the master and resolves once `ready()` holds; stops it again if that takes over 10 s. */
  async start(ready: () => Promise<boolean>, what: string): Promise<void> {
    // Its own process group, which its workers share: when the master dies on its own (killed, out
    // of memory) the workers outlive it holding the listening sockets, and only the group names them.
    const child = spawn(this.binary, ['-p', this.dir, '-c', this.conf, '-e', this.errorLog], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      env: this.env,
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096);
    });
    this.exitedPromise = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    while (!(await ready())) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > 10_000) {
        const log = await readFile(this.errorLog, 'utf8').catch(() => '');
        await this.stop();
        throw new WaasProcessError(
          `nginx (WAAS ${this.role}) did not start ${what}: ${(this.stderr || log).trim().slice(-500)}`,
          this.stderr,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code when the master exits (at once if it never started). */
  get exited(): Promise<number | null> {
    return this.exitedPromise;
  }

  /**
   * Graceful stop (SIGQUIT: open requests finish); SIGKILL after `timeoutMs`. Whatever is left of
   * the group afterwards (workers of a master that died) is killed.
   */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (!this.running) {
      this.killGroup();
      return;
    }
    child.kill('SIGQUIT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    if ((await Promise.race([this.exitedPromise, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await this.exitedPromise;
    }
    clearTimeout(timer);
    this.killGroup();
  }

  private killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing of the group is left.
    }
  }
}

/** Whether a TCP port (host and port) or a unix socket (path) accepts connections. */
export function canConnect(hostOrPath: string, port?: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      port === undefined
        ? connect({ path: hostOrPath })
        : connect({ host: hostOrPath === '0.0.0.0' ? '127.0.0.1' : hostOrPath, port });
    // A listener that never accepts (its backlog full) must not hold a readiness check forever.
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
