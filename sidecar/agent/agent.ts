import { join } from 'node:path';
import type { CompiledPolicy } from '../../src/policy/compiled-policy.js';
import { writeFileAtomic } from './atomic-write.js';
import { AuditShipper } from './audit-shipper.js';
import { AuditTailer } from './audit-tailer.js';
import { type Clock, systemClock } from './clock.js';
import { DiskBuffer } from './disk-buffer.js';
import type { HttpFetch } from './http-client.js';
import { installLauncher } from './install-launcher.js';
import { type AgentLogger, silentLogger } from './log.js';
import { TaskMetadata } from './metadata.js';
import { PolicySync } from './policy-sync.js';
import type { AgentSettings, AppContainer } from './settings.js';
import { WaasRunner } from './waas-runner.js';

export interface AgentDeps {
  fetch?: HttpFetch;
  clock?: Clock;
  logger?: AgentLogger;
  /** Called after a container's policy changed on disk (the WAAS proxy hooks in here). */
  onPolicy?: (container: AppContainer, policy: CompiledPolicy) => void | Promise<void>;
}

/** The counters the agent reports in `status.json` and its logs. */
export interface AgentStatus {
  ready: boolean;
  policy: PolicySync['stats'];
  tailer: AuditTailer['stats'];
  shipper: AuditShipper['stats'];
  buffer: { pendingBytes: number; dropped: number; maxBytes: number };
}

export interface RunningAgent {
  /** Resolves true once every policy was fetched and the ready file written. */
  readonly ready: Promise<boolean>;
  status(): AgentStatus;
  /** Stops the loops, moves what the launchers wrote into the buffer and tries one last delivery. */
  stop(options?: { drainMs?: number }): Promise<AgentStatus>;
}

/** Starts the sidecar agent: launcher copy, policy sync, audit tail and shipping. */
export async function startAgent(settings: AgentSettings, deps: AgentDeps = {}): Promise<RunningAgent> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const controller = new AbortController();
  const { signal } = controller;

  await installLauncher(settings.launcherSource, settings.rootDir);
  const buffer = await DiskBuffer.open({
    dir: join(settings.stateDir, 'buffer'),
    maxBytes: settings.bufferMaxBytes,
  });
  const tailer = new AuditTailer({
    auditDir: settings.auditDir,
    stateDir: settings.stateDir,
    containers: settings.containers.map((c) => c.name),
    buffer,
    logger,
  });
  await tailer.init();
  const metadata = new TaskMetadata(settings.metadataUri, { fetch: deps.fetch, clock });
  const shipper = new AuditShipper({
    policyUrl: settings.policyUrl,
    token: settings.token,
    buffer,
    facts: () => metadata.get(),
    batchMaxRecords: settings.batchMaxRecords,
    batchMaxBytes: settings.batchMaxBytes,
    flushMs: settings.flushMs,
    retryMaxMs: settings.retryMaxMs,
    fetch: deps.fetch,
    clock,
    logger,
  });
  const waas = new WaasRunner({
    family: settings.family,
    auditDir: settings.auditDir,
    listenHost: settings.waasListenHost,
    logger,
  });
  const sync = new PolicySync({
    policyUrl: settings.policyUrl,
    token: settings.token,
    containers: settings.containers,
    rootDir: settings.rootDir,
    pollMs: settings.pollMs,
    retryMaxMs: Math.min(settings.retryMaxMs, 10_000),
    fetch: deps.fetch,
    clock,
    logger,
    onPolicy: async (container, policy) => {
      await waas.onPolicy(container, policy);
      await deps.onPolicy?.(container, policy);
    },
  });

  let isReady = false;
  const status = (): AgentStatus => ({
    ready: isReady,
    policy: { ...sync.stats },
    tailer: { ...tailer.stats },
    shipper: { ...shipper.stats },
    buffer: { pendingBytes: buffer.pendingBytes, dropped: buffer.dropped, maxBytes: settings.bufferMaxBytes },
  });
  const writeStatus = () =>
    writeFileAtomic(join(settings.stateDir, 'status.json'), JSON.stringify(status())).catch(() => {});

  const ready = sync.initial(signal).then((ok) => {
    isReady = ok;
    return ok;
  });
  const policyLoop = ready.then((ok) => (ok ? sync.run(signal) : undefined));

  const tailLoop = (async () => {
    let lastStatus = 0;
    let lastDropped = buffer.dropped;
    while (!signal.aborted) {
      try {
        await tailer.poll();
      } catch (error) {
        logger.error('audit tail failed', { error: error instanceof Error ? error.message : String(error) });
      }
      if (buffer.dropped !== lastDropped) {
        logger.warn('audits dropped: disk buffer full', { droppedTotal: buffer.dropped });
        lastDropped = buffer.dropped;
        lastStatus = 0;
      }
      if (clock.now() - lastStatus >= 5000) {
        lastStatus = clock.now();
        await writeStatus();
      }
      await clock.sleep(settings.tailMs, signal);
    }
  })();
  const shipLoop = shipper.run(signal);

  logger.info('agent started', {
    family: settings.family,
    containers: settings.containers.length,
    policyUrl: settings.policyUrl,
  });

  return {
    ready,
    status,
    async stop({ drainMs = 2000 } = {}) {
      controller.abort();
      await Promise.allSettled([policyLoop, tailLoop, shipLoop]);
      await waas.stop().catch(() => {});
      await tailer.poll().catch(() => 0);
      const deadline = clock.now() + drainMs;
      while (drainMs > 0 && buffer.pendingBytes > 0 && clock.now() < deadline) {
        if (!(await shipper.drain())) break;
      }
      await writeStatus();
      logger.info('agent stopped', { pendingBytes: buffer.pendingBytes, dropped: buffer.dropped });
      return status();
    },
  };
}
