import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  StopTaskCommand,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { EcsCallError } from '../admission/errors.js';

/** A task definition as DescribeTaskDefinition returns it with `include: ["TAGS"]`. */
export interface DescribedTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

export interface EcsAdapterOptions {
  /** Attempts for the concurrent-revision ClientException, which the SDK does not retry. */
  maxAttempts?: number;
  /** First backoff in ms; doubled per attempt, capped at `maxDelayMs`, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const CONCURRENT_REVISION = /Too many concurrent attempts to create a new revision/i;

const errorCode = (error: unknown): string =>
  error instanceof Error ? ((error as { name?: string }).name ?? 'Error') : 'Error';

/** The ECS calls the admission controller makes, with the retries ECS's limits need. */
export class EcsAdapter {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly client: ECSClient,
    options: EcsAdapterOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
  }

  /**
   * Sends one command; the SDK already retries throttling and 5xx, so only failures it leaves
   * are wrapped here (with the operation named) — nothing is swallowed.
   */
  private async call<T>(operation: string, send: () => Promise<T>, retryConcurrent = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const concurrent = errorCode(error) === 'ClientException' && CONCURRENT_REVISION.test(message);
        if (retryConcurrent && concurrent && attempt < this.maxAttempts) {
          const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
          await this.sleep(Math.floor(this.random() * cap));
          continue;
        }
        throw new EcsCallError(operation, errorCode(error), attempt, message, { cause: error });
      }
    }
  }

  /**
   * Describes a task definition with its tags (ARN, `family:revision` or bare family = latest
   * ACTIVE). Returns undefined when ECS does not know it.
   */
  async describeTaskDefinition(ref: string): Promise<DescribedTaskDefinition | undefined> {
    try {
      const out = await this.call('DescribeTaskDefinition', () =>
        this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] })),
      );
      if (!out.taskDefinition) return undefined;
      return { taskDefinition: out.taskDefinition, tags: out.tags ?? [] };
    } catch (error) {
      if (
        error instanceof EcsCallError &&
        error.code === 'ClientException' &&
        /Unable to describe/i.test(error.message)
      ) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Registers a revision with `markerTags` merged over the request's tags (a marker key replaces
   * a tag of the same key), retrying the concurrent-revision ClientException with backoff+jitter.
   */
  async registerTaskDefinition(
    request: RegisterTaskDefinitionCommandInput,
    markerTags: readonly Tag[] = [],
  ): Promise<DescribedTaskDefinition> {
    const keys = new Set(markerTags.map((t) => t.key));
    const tags = [...(request.tags ?? []).filter((t) => !keys.has(t.key)), ...markerTags];
    const input = { ...request, ...(tags.length > 0 ? { tags } : {}) };
    const out = await this.call(
      'RegisterTaskDefinition',
      () => this.client.send(new RegisterTaskDefinitionCommand(input)),
      true,
    );
    if (!out.taskDefinition?.taskDefinitionArn) {
      throw new EcsCallError(
        'RegisterTaskDefinition',
        'EmptyResponse',
        1,
        'no taskDefinition in the response',
      );
    }
    return { taskDefinition: out.taskDefinition, tags: out.tags ?? tags };
  }

  async deregisterTaskDefinition(arn: string): Promise<void> {
    await this.call('DeregisterTaskDefinition', () =>
      this.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })),
    );
  }

  /**
   * Points a service at a task definition (a rolling deployment for the ECS controller), with new
   * load balancer / service registry targets in the same call when the definition moved their port.
   */
  async updateServiceTaskDefinition(
    cluster: string,
    service: string,
    taskDefinition: string,
    targets: Pick<UpdateServiceCommandInput, 'loadBalancers' | 'serviceRegistries'> = {},
  ): Promise<Service> {
    const out = await this.call('UpdateService', () =>
      this.client.send(new UpdateServiceCommand({ cluster, service, taskDefinition, ...targets })),
    );
    return out.service ?? {};
  }

  /** Stops a task; `gone` when ECS no longer knows it (already stopped and expired: nothing to do). */
  async stopTask(cluster: string, task: string, reason: string): Promise<'stopped' | 'gone'> {
    try {
      // ECS caps the reason at 255 characters.
      await this.call('StopTask', () =>
        this.client.send(new StopTaskCommand({ cluster, task, reason: reason.slice(0, 255) })),
      );
      return 'stopped';
    } catch (error) {
      if (
        error instanceof EcsCallError &&
        error.code === 'InvalidParameterException' &&
        /task was not found/i.test(error.message)
      ) {
        return 'gone';
      }
      throw error;
    }
  }

  /** Every cluster ARN, all pages. */
  async listClusters(nextToken?: string): Promise<{ clusterArns: string[]; nextToken?: string }> {
    const out = await this.call('ListClusters', () =>
      this.client.send(new ListClustersCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    );
    return { clusterArns: out.clusterArns ?? [], ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
  }

  async listAllClusters(): Promise<string[]> {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.listClusters(token);
      all.push(...page.clusterArns);
      token = page.nextToken;
    } while (token);
    return all;
  }

  /** One page (up to 100, ECS's maximum) of a cluster's service ARNs. */
  async listServices(
    cluster: string,
    nextToken?: string,
  ): Promise<{ serviceArns: string[]; nextToken?: string }> {
    const out = await this.call('ListServices', () =>
      this.client.send(
        new ListServicesCommand({ cluster, maxResults: 100, ...(nextToken ? { nextToken } : {}) }),
      ),
    );
    return { serviceArns: out.serviceArns ?? [], ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
  }

  /** Describes services in batches of 10 (ECS's limit); missing services (or clusters) are left out. */
  async describeServices(cluster: string, services: readonly string[]): Promise<Service[]> {
    const out: Service[] = [];
    for (let i = 0; i < services.length; i += 10) {
      const batch = services.slice(i, i + 10);
      const page = await this.call('DescribeServices', () =>
        this.client.send(new DescribeServicesCommand({ cluster, services: batch })),
      ).catch((error: unknown) => {
        // A cluster deleted since the event: its services need nothing any more.
        if (error instanceof EcsCallError && error.code === 'ClusterNotFoundException')
          return { services: [] };
        throw error;
      });
      out.push(...(page.services ?? []).filter((s) => s.status !== 'INACTIVE'));
    }
    return out;
  }

  /** ACTIVE revisions of a family, newest first (one page of up to `max`). */
  async listFamilyRevisions(family: string, max = 100): Promise<string[]> {
    const out = await this.call('ListTaskDefinitions', () =>
      this.client.send(
        new ListTaskDefinitionsCommand({
          familyPrefix: family,
          status: 'ACTIVE',
          sort: 'DESC',
          maxResults: max,
        }),
      ),
    );
    // familyPrefix is a prefix: drop `web-api` when looking for `web`.
    return (out.taskDefinitionArns ?? []).filter(
      (arn) => arn.split('/').pop()?.replace(/:\d+$/, '') === family,
    );
  }
}
