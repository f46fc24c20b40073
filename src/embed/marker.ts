import { z } from 'zod';
import { PortMappingSchema } from '../taskdef/ecs-port-mapping.generated.js';
import type { ContainerDefinition, Volume } from '../taskdef/types.js';
import { AUDIT_VOLUME, DEFENDER_VOLUME, LAUNCHER_PATH } from './layout.js';

/**
 * Version of the embed format. Bump it whenever the layout a protected task definition gets
 * changes; definitions protected by an older version are then stripped and re-embedded.
 */
export const EMBED_VERSION = '1';

/** Tag recording what was protected: `family:revision`, or {@link UNREGISTERED_SOURCE}. */
export const SOURCE_TAG = 'ecs-admission:source';
/** Tag recording the embed version. */
export const EMBED_VERSION_TAG = 'ecs-admission:embed-version';
/** Source of a definition that had no revision yet (a RegisterTaskDefinition request). */
export const UNREGISTERED_SOURCE = 'unregistered';

/**
 * Docker label on the sidecar. Tags alone cannot mark protection: DescribeTaskDefinition returns
 * no tags unless asked (include=TAGS) and CloudTrail trims requests, whereas container
 * definitions always travel whole. The label also holds what strip needs at task level.
 */
export const DEFENDER_LABEL = 'ecs-admission.defender';
/** Docker label on each wrapped container: its original command line and what was added to it. */
export const WRAPPED_LABEL = 'ecs-admission.wrapped';

/** Task-level members the transform may have created (absent in the original). */
export const TaskMemberSchema = z.enum(['volumes', 'tags']);

/** What the sidecar's {@link DEFENDER_LABEL} records (JSON). */
export const DefenderRecordSchema = z.strictObject({
  version: z.string().regex(/^\d+$/),
  /** `family:revision` of the definition that was protected, or `unregistered`. */
  source: z.string(),
  /** Task members created by the transform, removed again by strip. */
  created: z.array(TaskMemberSchema),
  /** Names of the task volumes added. */
  volumes: z.array(z.string()),
  /** Keys of the tags added. */
  tags: z.array(z.string()),
  /** The task's original cpu when the transform changed it; null when it was unset. */
  cpu: z.string().nullable().optional(),
  /** The task's original memory when the transform changed it; null when it was unset. */
  memory: z.string().nullable().optional(),
  /** Containers deliberately left unwrapped (FireLens log router, App Mesh proxy, excluded). */
  unwrapped: z.array(z.string()),
});
export type DefenderRecord = z.infer<typeof DefenderRecordSchema>;

/** Container members the transform may have created (absent in the original). */
export const ContainerMemberSchema = z.enum([
  'environment',
  'mountPoints',
  'dependsOn',
  'dockerLabels',
  'linuxParameters',
  'linuxParameters.capabilities',
  'linuxParameters.capabilities.add',
]);
export type ContainerMember = z.infer<typeof ContainerMemberSchema>;

/** What a wrapped container's {@link WRAPPED_LABEL} records (JSON). */
export const WrappedRecordSchema = z.strictObject({
  version: z.string().regex(/^\d+$/),
  /** The original entryPoint; absent when the container had none. */
  entryPoint: z.array(z.string()).optional(),
  /** The original command; absent when the container had none. */
  command: z.array(z.string()).optional(),
  /** The original image when the transform pinned it to a digest. */
  image: z.string().optional(),
  created: z.array(ContainerMemberSchema),
  /** Names of the environment variables added. */
  environment: z.array(z.string()),
  /** Source volumes of the mount points added. */
  mountPoints: z.array(z.string()),
  /** Containers added to dependsOn. */
  dependsOn: z.array(z.string()),
  /** Capabilities added (empty when SYS_PTRACE was already there). */
  capabilities: z.array(z.string()),
  /**
   * Port mappings handed to the WAAS proxy on the sidecar, each with its index in the original
   * list (ascending), so strip puts them back where they were. Absent when WAAS took none.
   */
  removedPortMappings: z
    .array(z.strictObject({ index: z.number().int().min(0), mapping: PortMappingSchema }))
    .optional(),
});
export type WrappedRecord = z.infer<typeof WrappedRecordSchema>;

/** What {@link inspectProtection} finds. */
export interface Protection {
  /** A defender sidecar placed by the transform is present. */
  protected: boolean;
  /** Protected by {@link EMBED_VERSION}, with every container wrapped or deliberately left alone. */
  current: boolean;
  embedVersion?: string;
  source?: string;
  /** Why it is not (currently) protected, in one sentence. */
  reason?: string;
}

/** Reads a label holding a JSON record; undefined when absent or malformed. */
export function readRecord<T>(
  container: { dockerLabels?: Record<string, string> | undefined },
  label: string,
  schema: z.ZodType<T>,
): T | undefined {
  const text = container.dockerLabels?.[label];
  if (text === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Compares embed versions numerically (`"10"` is newer than `"9"`). */
export function compareEmbedVersions(a: string, b: string): number {
  return Number(a) - Number(b);
}

/**
 * Recognises a protected task definition from its content alone (the sidecar's label and each
 * container's wrapping), not from tags, which most read paths drop.
 */
export function inspectProtection(taskDefinition: {
  containerDefinitions?: readonly ContainerDefinition[];
  volumes?: readonly Volume[];
}): Protection {
  const containers = taskDefinition.containerDefinitions ?? [];
  const sidecars = containers.filter((c) => c.dockerLabels?.[DEFENDER_LABEL] !== undefined);
  const [sidecar] = sidecars;
  if (sidecar === undefined) {
    return { protected: false, current: false, reason: 'it has no ecs-admission defender sidecar' };
  }
  const record = readRecord(sidecar, DEFENDER_LABEL, DefenderRecordSchema);
  if (record === undefined) {
    return {
      protected: true,
      current: false,
      reason: `the defender sidecar "${sidecar.name ?? ''}" has a malformed ${DEFENDER_LABEL} label`,
    };
  }
  const found = { protected: true, embedVersion: record.version, source: record.source };
  if (sidecars.length > 1)
    return { ...found, current: false, reason: 'it has more than one defender sidecar' };
  if (record.version !== EMBED_VERSION) {
    return {
      ...found,
      current: false,
      reason: `it was protected by embed version ${record.version}; the current version is ${EMBED_VERSION}`,
    };
  }
  for (const container of containers) {
    if (container === sidecar || record.unwrapped.includes(container.name ?? '')) continue;
    const wrapped = readRecord(container, WRAPPED_LABEL, WrappedRecordSchema);
    if (
      wrapped === undefined ||
      wrapped.version !== EMBED_VERSION ||
      container.entryPoint?.[0] !== LAUNCHER_PATH
    ) {
      return {
        ...found,
        current: false,
        reason: `container "${container.name ?? ''}" does not start through the defender launcher`,
      };
    }
  }
  const volumeNames = new Set((taskDefinition.volumes ?? []).map((v) => v.name));
  for (const volume of [DEFENDER_VOLUME, AUDIT_VOLUME]) {
    if (!volumeNames.has(volume)) {
      return { ...found, current: false, reason: `the task volume "${volume}" is missing` };
    }
  }
  return { ...found, current: true };
}
