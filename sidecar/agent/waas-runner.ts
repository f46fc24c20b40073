import type { CompiledPolicy, CompiledWaas } from '../../src/policy/compiled-policy.js';
import { WaasProxy } from '../../src/waas/proxy.js';
import { auditPath } from './audit-tailer.js';
import { type AgentLogger, silentLogger } from './log.js';
import type { AppContainer } from './settings.js';

export interface WaasRunnerOptions {
  family: string;
  auditDir: string;
  /** 0.0.0.0 in the task: the proxy takes over the exposed port. */
  listenHost?: string;
  nginxBinary?: string;
  logger?: AgentLogger;
  /** First wait before starting a crashed proxy again when that fails (doubles up to the max). */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/**
 * Runs the WAAS proxy for each container whose compiled policy enables it (effect alert or
 * prevent, with an exposed and an app port): starts it on the first such policy, reloads it when
 * the policy changes (no dropped connections), restarts it when the ports change, and stops it when
 * WAAS is disabled. Its audits go to the container's audit file, which the agent already ships.
 */
export class WaasRunner {
  private readonly proxies = new Map<string, { proxy: WaasProxy; waas: CompiledWaas }>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logger: AgentLogger;
  private stopping = false;

  constructor(private readonly options: WaasRunnerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** The agent's onPolicy hook; never throws (a WAAS failure must not stop policy sync). */
  onPolicy(container: AppContainer, policy: CompiledPolicy): Promise<void> {
    const next = this.queue.then(() => this.apply(container, policy));
    this.queue = next.catch(() => {});
    return next.catch((error: unknown) => {
      this.logger.error('waas proxy not applied', {
        container: container.name,
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  private async apply(container: AppContainer, policy: CompiledPolicy): Promise<void> {
    const waas = policy.waas;
    const current = this.proxies.get(container.name);
    const enabled = waas && waas.effect !== 'disable' && waas.exposedPort && waas.appPort;
    if (!enabled) {
      if (current) {
        await current.proxy.stop();
        this.proxies.delete(container.name);
        this.logger.info('waas proxy stopped', { container: container.name });
      }
      return;
    }
    if (current && current.waas.exposedPort === waas.exposedPort && current.waas.appPort === waas.appPort) {
      await current.proxy.reload(waas);
      current.waas = waas;
      this.logger.info('waas proxy reloaded', { container: container.name, effect: waas.effect });
      return;
    }
    if (current) await current.proxy.stop();
    await this.start(container, policy, waas);
  }

  private async start(container: AppContainer, policy: CompiledPolicy, waas: CompiledWaas): Promise<void> {
    const proxy = new WaasProxy({
      listenPort: waas.exposedPort!,
      listenHost: this.options.listenHost ?? '0.0.0.0',
      upstreamPort: waas.appPort!,
      auditFile: auditPath(this.options.auditDir, container.name),
      nginxBinary: this.options.nginxBinary,
      family: this.options.family,
      container: container.name,
      image: container.image,
      rule: policy.rule,
      onError: (error) => this.logger.warn('waas audit conversion failed', { error: error.message }),
    });
    await proxy.start(waas);
    this.proxies.set(container.name, { proxy, waas });
    void proxy.done.then(() => this.onExit(container, policy, proxy));
    this.logger.info('waas proxy started', {
      container: container.name,
      port: waas.exposedPort,
      appPort: waas.appPort,
      effect: waas.effect,
    });
  }

  /**
   * nginx exited on its own (killed, out of memory): the exposed port is dead, so the proxy is
   * started again with the policy it had, retrying with backoff while that fails.
   */
  private onExit(container: AppContainer, policy: CompiledPolicy, proxy: WaasProxy): void {
    const current = this.proxies.get(container.name);
    if (proxy.stopRequested || this.stopping || current?.proxy !== proxy) return;
    this.logger.error('waas proxy exited; restarting it', { container: container.name });
    const waas = current.waas;
    const restart = async (delayMs: number): Promise<void> => {
      if (this.stopping || this.proxies.get(container.name)?.proxy !== proxy) return;
      await proxy.stop().catch(() => {});
      try {
        await this.start(container, policy, waas);
        this.logger.info('waas proxy restarted', { container: container.name });
      } catch (error) {
        this.logger.error('waas proxy restart failed', {
          container: container.name,
          error: error instanceof Error ? error.message : String(error),
          retryInMs: delayMs,
        });
        await new Promise((r) => setTimeout(r, delayMs));
        await restart(Math.min(delayMs * 2, this.options.maxRestartDelayMs ?? 60_000));
      }
    };
    const next = this.queue.then(() => restart(this.options.restartDelayMs ?? 1000));
    this.queue = next.catch(() => {});
  }

  /** Stops every proxy (graceful: in-flight requests finish). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue;
    await Promise.all([...this.proxies.values()].map((p) => p.proxy.stop()));
    this.proxies.clear();
  }
}
