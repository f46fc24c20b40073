import { z } from 'zod';
import type { Audit } from '../../src/audit/audit.js';
import { type Clock, systemClock } from './clock.js';
import { type HttpFetch, nodeHttpFetch } from './http-client.js';

/** The part of the task metadata endpoint v4 `GET ${ECS_CONTAINER_METADATA_URI_V4}/task` answer the agent uses. */
export const TaskMetadataSchema = z
  .object({
    Cluster: z.string().optional(),
    TaskARN: z.string().optional(),
    Family: z.string().optional(),
    Revision: z.union([z.string(), z.number()]).optional(),
    AvailabilityZone: z.string().optional(),
  })
  .loose();

/** What the agent adds to audits that lack it. */
export type TaskFacts = Pick<Audit, 'cluster' | 'task' | 'revision' | 'region'>;

/** Extracts cluster name, task ARN, revision and region from a metadata answer. */
export function taskFacts(metadata: z.infer<typeof TaskMetadataSchema>): TaskFacts {
  const facts: TaskFacts = {};
  if (metadata.Cluster) facts.cluster = metadata.Cluster.replace(/^arn:[^:]+:ecs:[^:]*:\d*:cluster\//, '');
  if (metadata.TaskARN) facts.task = metadata.TaskARN;
  const revision = Number(metadata.Revision);
  if (Number.isInteger(revision) && revision > 0) facts.revision = revision;
  const region =
    /^arn:[^:]+:ecs:([a-z0-9-]+):/.exec(metadata.TaskARN ?? '')?.[1] ??
    /^([a-z]{2}(?:-gov)?-[a-z]+-\d)[a-z]$/.exec(metadata.AvailabilityZone ?? '')?.[1];
  if (region) facts.region = region;
  return facts;
}

/**
 * Reads the task metadata endpoint once it answers and caches the facts; a failed read is retried
 * no more often than every `retryMs`, and audits are shipped without the facts meanwhile.
 */
export class TaskMetadata {
  private facts: TaskFacts | undefined;
  private nextTry = 0;

  constructor(
    private readonly uri: string | undefined,
    private readonly deps: { fetch?: HttpFetch; clock?: Clock; retryMs?: number } = {},
  ) {}

  async get(): Promise<TaskFacts> {
    if (this.facts || !this.uri) return this.facts ?? {};
    const clock = this.deps.clock ?? systemClock;
    if (clock.now() < this.nextTry) return {};
    try {
      const response = await (this.deps.fetch ?? nodeHttpFetch)(`${this.uri.replace(/\/+$/, '')}/task`, {
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.facts = taskFacts(TaskMetadataSchema.parse(await response.json()));
      return this.facts;
    } catch {
      this.nextTry = clock.now() + (this.deps.retryMs ?? 30_000);
      return {};
    }
  }
}

/** Adds the task facts an audit does not already carry (the launcher's own values win). */
export function enrich(audit: Audit, facts: TaskFacts): Audit {
  return { ...facts, ...audit };
}
