import { z } from 'zod';
import { formatZodIssues } from '../taskdef/format-issues.js';
import { EmbedConfigError } from './errors.js';
import { APP_ENV, DEFAULT_SIDECAR_NAME, SIDECAR_ENV } from './layout.js';

/** Default defender image; a multi-architecture image, so both architectures name it. */
export const DEFAULT_DEFENDER_IMAGE = 'ecs-admission/defender:latest';

/** Default policy service URL: the local stack on loopback (set yours for AWS). */
export const DEFAULT_POLICY_URL = 'http://127.0.0.1:8080';

// ECS container names: up to 255 letters, numbers, underscores and hyphens.
const ContainerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be 1-255 letters, digits, hyphens or underscores');

const PortSchema = z.number().int().min(1).max(65535);

/**
 * The embed side of WAAS. The proxy and the app share the task's network namespace (awsvpc), so
 * they cannot bind the same port: the proxy listens on `exposedPort` (where load balancers now
 * send traffic) and reaches the app on `127.0.0.1:appPort`. Both must equal the ports of the
 * policy's `waas` section, which the agent reads. There is no default exposed port: it is what
 * the target group points at, so it is a deliberate choice.
 */
export const WaasOptionSchema = z
  .strictObject({
    /** Move the web port's mapping to the sidecar. */
    enabled: z.boolean().default(false),
    /** Port the proxy listens on and the sidecar maps; required when enabled. */
    exposedPort: PortSchema.optional(),
    /** Port the app listens on; default: the only TCP containerPort mapped by the wrapped containers. */
    appPort: PortSchema.optional(),
    /** The app container whose port is protected; default: the wrapped container that maps `appPort`. */
    container: ContainerNameSchema.optional(),
  })
  .superRefine((waas, ctx) => {
    if (waas.enabled && waas.exposedPort === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['exposedPort'],
        message:
          "required when WAAS is enabled: the port the proxy listens on and the load balancer's target group points at (the policy's waas.exposedPort), e.g. 8080",
      });
    }
    if (waas.exposedPort !== undefined && waas.exposedPort === waas.appPort) {
      ctx.addIssue({
        code: 'custom',
        path: ['exposedPort'],
        message: `must differ from appPort (${waas.appPort}): the proxy and the app share the task's network namespace and cannot both bind one port`,
      });
    }
  });
/** The WAAS option with its defaults applied. */
export type WaasOption = z.infer<typeof WaasOptionSchema>;

const RESERVED_ENV = new Set<string>([...Object.values(SIDECAR_ENV), ...Object.values(APP_ENV)]);

/**
 * Configuration of the embed transform (CLI `--config` file, HTTP endpoint, Lambda environment).
 * Strict: an unknown key is an error naming its path, so a typo never silently falls back to a
 * default. Every field has a default (see docs/embed.md), so `{}` is a complete configuration.
 */
export const EmbedConfigSchema = z
  .strictObject({
    /** Defender sidecar image per `runtimePlatform.cpuArchitecture` (X86_64 when unset). */
    images: z
      .strictObject({
        X86_64: z.string().min(1).default(DEFAULT_DEFENDER_IMAGE),
        ARM64: z.string().min(1).default(DEFAULT_DEFENDER_IMAGE),
      })
      .default({ X86_64: DEFAULT_DEFENDER_IMAGE, ARM64: DEFAULT_DEFENDER_IMAGE }),
    /** Name of the sidecar container; it also names the awslogs stream prefix by default. */
    sidecarName: ContainerNameSchema.default(DEFAULT_SIDECAR_NAME),
    /** CPU units reserved for the sidecar (1024 = one vCPU). */
    sidecarCpu: z.number().int().min(0).max(16384).default(128),
    /** Soft memory limit of the sidecar in MiB (Docker's minimum is 6). */
    sidecarMemoryReservation: z.number().int().min(6).max(122880).default(128),
    /** Extra environment for the sidecar (e.g. proxy settings); the agent's own names are reserved. */
    sidecarEnvironment: z.record(z.string().min(1), z.string()).default({}),
    /** awslogs stream prefix of the sidecar when the app containers log with awslogs; default: sidecarName. */
    logStreamPrefix: z.string().min(1).optional(),
    /** Base URL of the policy service the agent fetches policies from and sends audits to. */
    policyUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_POLICY_URL),
    /** Defender token, written literally into the sidecar's environment. Prefer `tokenSecretArn`. */
    token: z.string().min(1).optional(),
    /** ARN of a Secrets Manager secret or SSM parameter holding the token, injected through `secrets`. */
    tokenSecretArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:(secretsmanager|ssm):/, 'must be a Secrets Manager or SSM parameter ARN')
      .optional(),
    /** Raise the task's cpu/memory to the smallest valid size that fits the sidecar; off: reject instead. */
    resize: z.boolean().default(true),
    /** Whether the sidecar is essential: true stops the task when the defender dies (fail closed). */
    essential: z.boolean().default(true),
    /** Also protect EC2 (Linux) task definitions, not only Fargate ones. */
    includeEc2: z.boolean().default(false),
    /** Opt-out tag: a task definition carrying it is skipped. */
    skipTag: z
      .strictObject({ key: z.string().min(1).max(128), value: z.string().max(256) })
      .default({ key: 'ecs-admission:skip', value: 'true' }),
    /** Containers to leave unwrapped (besides FireLens log routers and the App Mesh proxy, always left). */
    excludeContainers: z.array(ContainerNameSchema).default([]),
    /** Rewrite each resolved image to `name@sha256:...`, so the wrapped command line matches what runs. */
    pinDigests: z.boolean().default(false),
    /** Read ENTRYPOINT/CMD from the image's registry for containers without `entryPoint` (src/images). */
    resolveImages: z.boolean().default(true),
    /** WAAS: the sidecar's proxy takes the web port's mapping (docs/waas.md, "Embed integration"). */
    waas: WaasOptionSchema.default({ enabled: false }),
  })
  .superRefine((config, ctx) => {
    for (const name of Object.keys(config.sidecarEnvironment)) {
      if (RESERVED_ENV.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sidecarEnvironment', name],
          message: 'is set by the transform itself; remove it',
        });
      }
    }
    if (config.token !== undefined && config.tokenSecretArn !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenSecretArn'],
        message: 'set either token or tokenSecretArn, not both',
      });
    }
  });

/** The complete configuration, every default applied. */
export type EmbedConfig = z.infer<typeof EmbedConfigSchema>;
/** A configuration as users write it: every field optional. */
export type EmbedConfigInput = z.input<typeof EmbedConfigSchema>;

/**
 * Applies the defaults to a partial configuration and validates it.
 * @throws EmbedConfigError naming each bad field (its JSON path) and what is wrong.
 */
export function resolveEmbedConfig(partial: unknown = {}): EmbedConfig {
  const result = EmbedConfigSchema.safeParse(partial ?? {}, { reportInput: true });
  if (!result.success) throw new EmbedConfigError(formatZodIssues(result.error));
  return result.data;
}
