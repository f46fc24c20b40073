import { existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledWaas } from '../policy/compiled-policy.js';
import type { WaasAuditContext } from './audit-convert.js';
import { crsDefaults, filterCrsRules, txSetBy } from './crs-filter.js';
import { WaasConfigError, WaasProcessError } from './errors.js';
import { ModsecLogTail } from './modsec-log-tail.js';
import { canConnect, NginxProcess } from './nginx-process.js';
import {
  CRS_INITIALIZATION_FILE,
  CRS_TX_SET_BY_RENDERER,
  crsRuleFiles,
  DEBIAN_PATHS,
  FRONT_KEEPALIVE_BOUND_MS,
  renderFrontNginx,
  renderWaf,
  type WaasSystemPaths,
} from './render-config.js';

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
  /** How often the ModSecurity audit logs are read. */
  auditPollMs?: number;
  /**
   * How long a replaced WAF instance keeps running normally after the swap, so that requests on
   * connections the front opened before it are served there; then it finishes what it has. At
   * least FRONT_KEEPALIVE_BOUND_MS: the front may start requests on those connections until then,
   * and a connection the instance closed under such a request would lose it.
   */
  drainMs?: number;
  /**
   * Shared library preloaded into the WAF layer's nginx as its allocator. Default: Debian's jemalloc
   * when installed (`libjemalloc2`): ModSecurity spends about a quarter of its time in malloc and
   * free, and jemalloc cuts its CPU per request by about 15 %. `null`: glibc's malloc.
   */
  allocator?: string | null;
  /**
   * nginx workers of the WAF layer. Default: one per CPU, at most {@link MAX_WAF_WORKERS} (on the
   * CI machine's 2 vCPUs, two workers serve 35-40 % more requests per second than one).
   */
  wafWorkers?: number;
  onError?: (error: Error) => void;
}

/** Bounds the WAF layer's default worker count on large hosts (each worker dirties ~3 MB of its own; CRS is shared with the master). */
export const MAX_WAF_WORKERS = 4;

/** Debian's jemalloc (package libjemalloc2). */
export const DEBIAN_JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const JEMALLOC_CANDIDATES = [DEBIAN_JEMALLOC, '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'];

/** A unix socket's path has 108 bytes, its final NUL included (sun_path). */
const SUN_PATH_BYTES = 107;

/**
 * Refuses a work directory too deep for the WAF instances' sockets (`waf-N/waf.sock`, N growing
 * with each reload, room left for a million), before nginx refuses one mid-reload.
 */
function checkSocketRoom(workDir: string, temporary: boolean): void {
  const longest = join(workDir, 'waf-1000000', 'waf.sock');
  if (Buffer.byteLength(longest) <= SUN_PATH_BYTES) return;
  const fix = temporary ? 'set TMPDIR to a shorter directory' : 'give workDir a shorter directory';
  throw new WaasConfigError(
    `the WAAS work directory ${workDir} is too long for nginx's unix sockets (${Buffer.byteLength(longest)} of ${SUN_PATH_BYTES} bytes): ${fix}`,
    'workDir',
  );
}

/** One nginx with ModSecurity for one policy, on its own socket and in its own directory. */
interface WafInstance {
  dir: string;
  nginx: NginxProcess;
  tail: ModsecLogTail;
}

/**
 * The WAAS reverse proxy: Debian's nginx with ModSecurity v3 and the OWASP CRS, in two layers run
 * as child processes. The front listens on the exposed port and never reloads; it connects per
 * request to the current WAF instance through a symlinked unix socket. A policy change starts a
 * new WAF instance beside the old one (after `nginx -t`, so a bad policy never replaces a working
 * one), swaps the symlink, and retires the old instance once its requests are done. Clients'
 * connections never meet a reload, so none is reset: nginx's own SIGHUP reload closes idle
 * keep-alive connections, and a request a client sends at that moment is lost.
 */
export class WaasProxy {
  private workDir = '';
  private ownsWorkDir = false;
  private front: NginxProcess | undefined;
  private waf: WafInstance | undefined;
  private readonly retiring = new Set<WafInstance>();
  private readonly retirements = new Set<Promise<void>>();
  private drainCut = new AbortController();
  private generation = 0;
  private changes: Promise<unknown> = Promise.resolve();
  private auditTimer: NodeJS.Timeout | undefined;
  private tailing: Promise<void> = Promise.resolve();
  private stopping = false;
  private ended!: (code: number | null) => void;
  private readonly endedPromise = new Promise<number | null>((resolve) => {
    this.ended = resolve;
  });
  /** Audits written so far. */
  audits = 0;

  constructor(private readonly options: WaasProxyOptions) {}

  get nginx(): string {
    return this.options.nginxBinary ?? 'nginx';
  }

  /** Masters of the front and of the current WAF instance (their workers are their children). */
  get pids(): number[] {
    return [this.front?.pid, this.waf?.nginx.pid].filter((p): p is number => p !== undefined);
  }

  /** `stop()` was called: an end of `done` after this is not a crash. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Where the layers' files are (a new temporary directory unless `workDir` was given). */
  get workDirectory(): string {
    return this.workDir;
  }

  /** The symlink the front connects through. */
  private get wafLink(): string {
    return join(this.workDir, 'waf.sock');
  }

  private get user(): string | undefined {
    // Workers drop root; they need only the sockets and temp directories nginx hands them.
    return process.getuid?.() === 0 ? 'nobody nogroup' : undefined;
  }

  /** Starts the WAF layer for `waas`, then the front, and resolves once the port accepts connections. */
  async start(waas: CompiledWaas): Promise<void> {
    // mkdtemp's six random characters stand in for the directory not made yet.
    checkSocketRoom(
      this.options.workDir ?? join(tmpdir(), 'ecs-admission-waas-XXXXXX'),
      !this.options.workDir,
    );
    if (this.options.workDir) {
      this.workDir = this.options.workDir;
      await mkdir(this.workDir, { recursive: true });
    } else {
      this.workDir = await mkdtemp(join(tmpdir(), 'ecs-admission-waas-'));
      this.ownsWorkDir = true;
    }
    // Workers (nobody) must reach the sockets and temp directories inside.
    await chmod(this.workDir, 0o711);
    await rm(this.wafLink, { force: true });
    try {
      this.waf = await this.launchWaf(waas);
      await this.pointFrontAt(this.waf);
      const frontDir = join(this.workDir, 'front');
      await mkdir(frontDir, { recursive: true });
      await chmod(frontDir, 0o711);
      await writeFile(
        join(frontDir, 'nginx.conf'),
        renderFrontNginx({
          listenPort: this.options.listenPort,
          listenHost: this.options.listenHost ?? '127.0.0.1',
          workDir: frontDir,
          wafSocket: this.wafLink,
          user: this.user,
          paths: this.options.paths,
        }),
      );
      const front = new NginxProcess(this.nginx, frontDir, 'front');
      this.front = front;
      await front.test();
      const host = this.options.listenHost ?? '127.0.0.1';
      await front.start(
        () => canConnect(host, this.options.listenPort),
        `listening on port ${this.options.listenPort}`,
      );
      this.watch(front, () => this.front === front);
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.auditTimer = setInterval(() => {
      this.convertAudits().catch((e: unknown) => this.fail(e));
    }, this.options.auditPollMs ?? 200);
  }

  /** Ends `done` when a layer still in service exits on its own. */
  private watch(nginx: NginxProcess, inService: () => boolean): void {
    void nginx.exited.then((code) => {
      if (!this.stopping && inService()) {
        this.fail(new WaasProcessError(`nginx (WAAS) exited with code ${code}`, ''));
        this.ended(code);
      }
    });
  }

  private allocatorEnv(): Record<string, string> {
    const chosen =
      this.options.allocator === undefined
        ? JEMALLOC_CANDIDATES.find((path) => existsSync(path))
        : (this.options.allocator ?? undefined);
    return chosen ? { LD_PRELOAD: chosen } : {};
  }

  /** Renders, tests and starts a WAF instance in a new directory; removes it again on failure. */
  private async launchWaf(waas: CompiledWaas): Promise<WafInstance> {
    const dir = join(this.workDir, `waf-${++this.generation}`);
    const socket = join(dir, 'waf.sock');
    const modsecAuditLog = join(dir, 'modsec-audit.json');
    const crsDir = join(dir, 'crs');
    // Rendered first: a policy the renderer refuses leaves nothing behind.
    const rendered = renderWaf(waas, {
      upstreamPort: this.options.upstreamPort,
      workDir: dir,
      socket,
      modsecAuditLog,
      user: this.user,
      paths: this.options.paths,
      crsDir,
      workers: this.options.wafWorkers ?? Math.min(availableParallelism(), MAX_WAF_WORKERS),
    });
    await mkdir(crsDir, { recursive: true });
    try {
      await this.writeFilteredCrs(waas, crsDir);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    await mkdir(join(dir, 'modsec-tmp'), { recursive: true });
    await mkdir(join(dir, 'modsec-data'), { recursive: true });
    await chmod(dir, 0o711);
    await (await open(modsecAuditLog, 'a', 0o600)).close();
    await writeFile(join(dir, 'modsecurity.conf'), rendered.modsecurityConf);
    await writeFile(join(dir, 'nginx.conf'), rendered.nginxConf);
    const nginx = new NginxProcess(this.nginx, dir, 'WAF', this.allocatorEnv());
    try {
      await nginx.test();
      await nginx.start(() => canConnect(socket), 'on its unix socket');
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const instance = { dir, nginx, tail: new ModsecLogTail(modsecAuditLog, this.options) };
    this.watch(nginx, () => this.waf === instance);
    return instance;
  }

  /**
   * The policy's CRS rule files, filtered for its paranoia level (`filterCrsRules`), into `crsDir`;
   * the installed crs-setup.conf is read for the settings it makes, which the filter leaves alone.
   */
  private async writeFilteredCrs(waas: CompiledWaas, crsDir: string): Promise<void> {
    const paths = this.options.paths ?? DEBIAN_PATHS;
    const systemCrs = paths.crsRulesDir;
    const files = crsRuleFiles(waas);
    // One after the other: the error names the first file in load order that cannot be read.
    const texts: string[] = [];
    for (const file of [paths.crsSetup, ...files.map((f) => join(systemCrs, f))]) {
      texts.push(
        await readFile(file, 'utf8').catch((error: unknown) => {
          throw new WaasProcessError(
            `the OWASP CRS file ${file} cannot be read (is Debian's modsecurity-crs installed?): ${error instanceof Error ? error.message : String(error)}`,
            '',
            { cause: error },
          );
        }),
      );
    }
    const [setup = '', ...rules] = texts;
    // The values the filter's rewrites build in are those the installed CRS initializes, unless
    // the installed crs-setup.conf sets its own.
    const defaults = crsDefaults(rules[files.indexOf(CRS_INITIALIZATION_FILE)] ?? '');
    const setupTx = txSetBy(setup);
    for (const [i, file] of files.entries()) {
      const filtered = filterCrsRules(rules[i] ?? '', {
        paranoiaLevel: waas.paranoiaLevel,
        dataDir: systemCrs,
        presetTx: CRS_TX_SET_BY_RENDERER,
        defaults,
        setupTx,
      });
      await writeFile(join(crsDir, file), filtered);
    }
  }

  /** Atomically points the front's socket symlink at `instance` (rename replaces the old link). */
  private async pointFrontAt(instance: WafInstance): Promise<void> {
    const name = instance.dir.slice(this.workDir.length + 1);
    const next = `${this.wafLink}.next`;
    await rm(next, { force: true });
    await symlink(join(name, 'waf.sock'), next);
    await rename(next, this.wafLink);
  }

  /**
   * Applies a new policy: every request the front receives after this resolves is inspected under
   * it. On a configuration nginx refuses, the running one stays and the error says why.
   */
  reload(waas: CompiledWaas): Promise<void> {
    const next = this.changes.then(async () => {
      const old = this.waf;
      if (!this.front?.running || !old || this.stopping) {
        throw new WaasProcessError('the WAAS proxy is not running', '');
      }
      const instance = await this.launchWaf(waas);
      await this.pointFrontAt(instance);
      this.waf = instance;
      this.retire(old);
      // The front's kept-alive connections to the old instance retire within this bound.
      await new Promise((r) => setTimeout(r, FRONT_KEEPALIVE_BOUND_MS));
    });
    this.changes = next.catch(() => {});
    return next;
  }

  private retire(instance: WafInstance): void {
    this.retiring.add(instance);
    const signal = this.drainCut.signal;
    const done = (async () => {
      if (!signal.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(this.options.drainMs ?? 1000, FRONT_KEEPALIVE_BOUND_MS));
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      // Open requests (a websocket, a long download) finish under the old policy.
      await instance.nginx.stop(signal.aborted ? 5000 : 3_600_000);
      await this.convertAudits();
      this.retiring.delete(instance);
      await rm(instance.dir, { recursive: true, force: true });
    })().catch((error: unknown) => this.fail(error));
    this.retirements.add(done);
    void done.finally(() => this.retirements.delete(done));
  }

  private fail(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  /** Moves new ModSecurity audit records into the audit file; returns how many audits were written. */
  convertAudits(): Promise<number> {
    // One conversion at a time: two readers at the same offset would write every audit twice.
    const next = this.tailing.then(async () => {
      const lines: string[] = [];
      for (const instance of [...this.retiring, ...(this.waf ? [this.waf] : [])]) {
        for (const audit of await instance.tail.read()) lines.push(JSON.stringify(audit));
      }
      if (lines.length > 0) {
        await appendFile(this.options.auditFile, `${lines.join('\n')}\n`, { mode: 0o666 });
        this.audits += lines.length;
      }
      return lines.length;
    });
    this.tailing = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  /** Graceful stop of both layers (in-flight requests finish), then converts the last audit records. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.auditTimer) clearInterval(this.auditTimer);
    this.auditTimer = undefined;
    await this.changes;
    await this.front?.stop();
    this.drainCut.abort();
    await Promise.all([this.waf?.nginx.stop(), ...[...this.retiring].map((w) => w.nginx.stop())]);
    await Promise.all([...this.retirements]);
    await this.convertAudits().catch(() => 0);
    if (this.waf) await rm(this.waf.dir, { recursive: true, force: true });
    this.front = undefined;
    this.waf = undefined;
    if (this.ownsWorkDir && this.workDir) await rm(this.workDir, { recursive: true, force: true });
    this.ended(null);
  }

  /** Resolves when the proxy ends: stopped, or one of its nginx masters exited on its own. */
  get done(): Promise<number | null> {
    return this.endedPromise;
  }
}
