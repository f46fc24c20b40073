import { join } from 'node:path';
import { z } from 'zod';
import { AgentError } from './errors.js';

/** Bad or missing agent configuration; the message names the environment variable and the fix. */
export class AgentSettingsError extends AgentError {
  constructor(
    message: string,
    readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgentSettingsError';
  }
}

export const AppContainerSchema = z.object({ name: z.string().min(1), image: z.string().min(1) }).strict();
export type AppContainer = z.infer<typeof AppContainerSchema>;

const intFromEnv = (min: number) => z.coerce.number().int().min(min);

/**
 * Everything the agent reads from its environment. The paths default to the task layout the embed
 * transform produces and can be moved (tests, local runs) with the `*_DIR` variables.
 */
export const AgentEnvSchema = z.object({
  ECS_ADMISSION_POLICY_URL: z.url({ protocol: /^https?$/ }),
  ECS_ADMISSION_TOKEN: z.string().min(1),
  ECS_ADMISSION_FAMILY: z.string().min(1),
  ECS_ADMISSION_CONTAINERS: z.string().min(1),
  /** The shared volume the app containers mount read-only. */
  ECS_ADMISSION_ROOT_DIR: z.string().min(1).default('/ecs-admission'),
  /** The shared volume the launchers append audits to. */
  ECS_ADMISSION_AUDIT_DIR: z.string().min(1).default('/ecs-admission-audit'),
  /** Where the agent keeps its disk buffer and file offsets; inside the root volume by default so it survives an agent restart. */
  ECS_ADMISSION_STATE_DIR: z.string().min(1).optional(),
  /** The launcher binary shipped in the sidecar image. */
  ECS_ADMISSION_LAUNCHER_SOURCE: z.string().min(1).default('/opt/ecs-admission/launcher'),
  ECS_ADMISSION_POLL_SECONDS: intFromEnv(1).default(30),
  ECS_ADMISSION_AUDIT_FLUSH_MS: intFromEnv(10).default(1000),
  ECS_ADMISSION_TAIL_MS: intFromEnv(10).default(250),
  /** Upper bound of the on-disk audit buffer; audits beyond it are dropped and counted. */
  ECS_ADMISSION_BUFFER_MAX_BYTES: intFromEnv(4096).default(64 * 1024 * 1024),
  ECS_ADMISSION_BATCH_MAX_RECORDS: intFromEnv(1).max(100).default(100),
  ECS_ADMISSION_BATCH_MAX_BYTES: intFromEnv(1024)
    .max(256 * 1024)
    .default(256 * 1024),
  ECS_ADMISSION_RETRY_MAX_MS: intFromEnv(10).default(60_000),
  ECS_CONTAINER_METADATA_URI_V4: z.url().optional(),
  /** Address the WAAS proxy listens on (the task's exposed port on every interface by default). */
  ECS_ADMISSION_WAAS_LISTEN_HOST: z.union([z.ipv4(), z.ipv6()]).default('0.0.0.0'),
});

export interface AgentSettings {
  policyUrl: string;
  /** Kept out of every log line and error. */
  token: string;
  family: string;
  containers: AppContainer[];
  rootDir: string;
  auditDir: string;
  stateDir: string;
  launcherSource: string;
  pollMs: number;
  flushMs: number;
  tailMs: number;
  bufferMaxBytes: number;
  batchMaxRecords: number;
  batchMaxBytes: number;
  retryMaxMs: number;
  metadataUri: string | undefined;
  waasListenHost: string;
}

/**
 * Validates the environment; throws an {@link AgentSettingsError} naming the first bad variable
 * (its value is never echoed, since it may be the token).
 */
export function loadSettings(env: Record<string, string | undefined>): AgentSettings {
  const parsed = AgentEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new AgentSettingsError(
      `${variable}: ${issue?.message ?? 'invalid'} (set it in the sidecar container's environment)`,
      variable,
    );
  }
  const e = parsed.data;
  let containersJson: unknown;
  try {
    containersJson = JSON.parse(e.ECS_ADMISSION_CONTAINERS);
  } catch (cause) {
    throw new AgentSettingsError(
      'ECS_ADMISSION_CONTAINERS: not JSON; expected an array like [{"name":"app","image":"nginx:1"}]',
      'ECS_ADMISSION_CONTAINERS',
      { cause },
    );
  }
  const containers = z.array(AppContainerSchema).safeParse(containersJson);
  if (!containers.success) {
    const issue = containers.error.issues[0];
    throw new AgentSettingsError(
      `ECS_ADMISSION_CONTAINERS${issue?.path.map((p) => `[${JSON.stringify(p)}]`).join('') ?? ''}: ${issue?.message ?? 'invalid'}; expected an array like [{"name":"app","image":"nginx:1"}]`,
      'ECS_ADMISSION_CONTAINERS',
    );
  }
  const names = new Set<string>();
  for (const c of containers.data) {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(c.name) || names.has(c.name)) {
      throw new AgentSettingsError(
        `ECS_ADMISSION_CONTAINERS: container name "${c.name}" is invalid or repeated (ECS names: letters, digits, _ and -)`,
        'ECS_ADMISSION_CONTAINERS',
      );
    }
    names.add(c.name);
  }
  return {
    policyUrl: e.ECS_ADMISSION_POLICY_URL.replace(/\/+$/, ''),
    token: e.ECS_ADMISSION_TOKEN,
    family: e.ECS_ADMISSION_FAMILY,
    containers: containers.data,
    rootDir: e.ECS_ADMISSION_ROOT_DIR,
    auditDir: e.ECS_ADMISSION_AUDIT_DIR,
    stateDir: e.ECS_ADMISSION_STATE_DIR ?? join(e.ECS_ADMISSION_ROOT_DIR, 'state'),
    launcherSource: e.ECS_ADMISSION_LAUNCHER_SOURCE,
    pollMs: e.ECS_ADMISSION_POLL_SECONDS * 1000,
    flushMs: e.ECS_ADMISSION_AUDIT_FLUSH_MS,
    tailMs: e.ECS_ADMISSION_TAIL_MS,
    bufferMaxBytes: e.ECS_ADMISSION_BUFFER_MAX_BYTES,
    batchMaxRecords: e.ECS_ADMISSION_BATCH_MAX_RECORDS,
    batchMaxBytes: e.ECS_ADMISSION_BATCH_MAX_BYTES,
    retryMaxMs: e.ECS_ADMISSION_RETRY_MAX_MS,
    metadataUri: e.ECS_CONTAINER_METADATA_URI_V4,
    waasListenHost: e.ECS_ADMISSION_WAAS_LISTEN_HOST,
  };
}
