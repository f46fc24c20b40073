import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type CompiledPolicy, CompiledPolicySchema } from '../../src/policy/compiled-policy.js';
import { writeFileAtomic } from './atomic-write.js';
import { type Clock, jittered, systemClock } from './clock.js';
import { PolicyFetchError } from './errors.js';
import { type HttpFetch, type HttpResponse, nodeHttpFetch } from './http-client.js';
import { type AgentLogger, silentLogger } from './log.js';
import type { AppContainer } from './settings.js';

export type PolicyFetchResult =
  | { status: 'changed'; policy: CompiledPolicy; etag: string | undefined }
  | { status: 'not-modified' };

export interface PolicyClientOptions {
  policyUrl: string;
  token: string;
  fetch?: HttpFetch;
  timeoutMs?: number;
}

/** `GET /v1/policy` for one container, with the defender token and an optional ETag. */
export async function fetchPolicy(
  options: PolicyClientOptions,
  container: AppContainer,
  etag?: string,
): Promise<PolicyFetchResult> {
  const url = `${options.policyUrl}/v1/policy?container=${encodeURIComponent(container.name)}&image=${encodeURIComponent(container.image)}`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    accept: 'application/json',
  };
  if (etag) headers['if-none-match'] = etag;
  let response: HttpResponse;
  try {
    response = await (options.fetch ?? nodeHttpFetch)(url, {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw new PolicyFetchError(
      `policy service unreachable: ${cause instanceof Error ? cause.message : String(cause)}`,
      container.name,
      undefined,
      { cause },
    );
  }
  if (response.status === 304) {
    await response.text().catch(() => '');
    return { status: 'not-modified' };
  }
  const text = await response.text().catch(() => '');
  if (response.status !== 200) {
    const hint =
      response.status === 401 || response.status === 403
        ? ' (check ECS_ADMISSION_TOKEN: the defender token was refused)'
        : '';
    throw new PolicyFetchError(
      `policy service answered HTTP ${response.status}${hint}`,
      container.name,
      response.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new PolicyFetchError('policy service answered with invalid JSON', container.name, 200, { cause });
  }
  const parsed = CompiledPolicySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PolicyFetchError(
      `policy service answered a policy that is not a CompiledPolicy: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      container.name,
      200,
    );
  }
  return { status: 'changed', policy: parsed.data, etag: response.headers.get('etag') ?? undefined };
}

export interface PolicySyncOptions extends PolicyClientOptions {
  containers: AppContainer[];
  rootDir: string;
  pollMs: number;
  /** Upper bound of the wait between two attempts of the first fetch. */
  retryMaxMs?: number;
  clock?: Clock;
  logger?: AgentLogger;
  /** Called after a new policy has been written for a container (the WAAS proxy reloads on it). */
  onPolicy?: (container: AppContainer, policy: CompiledPolicy) => void | Promise<void>;
}

/** Where the launcher of `container` reads its policy. */
export function policyPath(rootDir: string, container: string): string {
  return join(rootDir, 'policy', `${container}.json`);
}

/**
 * Keeps `/ecs-admission/policy/<container>.json` current: fetches every container's policy once
 * (retrying until the service answers), writes `/ecs-admission/ready`, then polls with
 * If-None-Match. When the service is unreachable the files on disk, the last known good policies,
 * stay as they are.
 */
export class PolicySync {
  private readonly etags = new Map<string, string>();
  private readonly clock: Clock;
  private readonly logger: AgentLogger;
  /** Figures for the status file and the tests. */
  readonly stats = { fetched: 0, notModified: 0, failures: 0, lastError: undefined as string | undefined };

  constructor(private readonly options: PolicySyncOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  get readyPath(): string {
    return join(this.options.rootDir, 'ready');
  }

  /** Fetches each container's policy until it succeeds (or `signal` aborts), then writes the ready file. Returns whether it got there. */
  async initial(signal?: AbortSignal): Promise<boolean> {
    await mkdir(join(this.options.rootDir, 'policy'), { recursive: true });
    for (const container of this.options.containers) {
      let attempt = 0;
      while (!(await this.syncOne(container))) {
        if (signal?.aborted) return false;
        const delay = Math.min(this.options.retryMaxMs ?? 10_000, 250 * 2 ** Math.min(attempt++, 16));
        await this.clock.sleep(jittered(delay, 0.2, this.clock), signal);
        if (signal?.aborted) return false;
      }
    }
    await writeFileAtomic(this.readyPath, `${new Date(this.clock.now()).toISOString()}\n`);
    this.logger.info('policies fetched; ready', { containers: this.options.containers.length });
    return true;
  }

  /** Polls until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.clock.sleep(jittered(this.options.pollMs, 0.2, this.clock), signal);
      if (signal.aborted) return;
      for (const container of this.options.containers) await this.syncOne(container);
    }
  }

  /** One conditional fetch; returns false when the service could not give an answer. */
  async syncOne(container: AppContainer): Promise<boolean> {
    try {
      const result = await fetchPolicy(this.options, container, this.etags.get(container.name));
      if (result.status === 'not-modified') {
        this.stats.notModified++;
        return true;
      }
      await writeFileAtomic(
        policyPath(this.options.rootDir, container.name),
        `${JSON.stringify(result.policy)}\n`,
      );
      if (result.etag) this.etags.set(container.name, result.etag);
      else this.etags.delete(container.name);
      this.stats.fetched++;
      this.logger.info('policy written', {
        container: container.name,
        version: result.policy.version,
        rule: result.policy.rule,
      });
      await this.options.onPolicy?.(container, result.policy);
      return true;
    } catch (error) {
      this.stats.failures++;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      this.logger.warn('policy fetch failed; keeping the last known good policy', {
        container: container.name,
        error: this.stats.lastError,
      });
      return false;
    }
  }
}
