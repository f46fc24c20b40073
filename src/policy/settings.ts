import { z } from 'zod';
import { PolicyError } from './errors.js';

/** The policy function's environment is missing a variable or holds a bad value (named, never echoed). */
export class PolicySettingsError extends PolicyError {
  constructor(message: string) {
    super(message);
    this.name = 'PolicySettingsError';
  }
}

const optional = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));

/**
 * The policy Lambda's environment (serverless.yml sets it). Read once per cold start; a missing or
 * malformed variable stops the function with its name.
 */
export const PolicyEnvSchema = z.object({
  /** DynamoDB table of the rules (partition key `pk`, string). */
  ECS_ADMISSION_RULES_TABLE: z.string().min(3, 'required: the rules table name'),
  /** EventBridge bus audits are put on. */
  ECS_ADMISSION_BUS_NAME: z.string().min(1, 'required: the product event bus name'),
  /** Secrets Manager secret holding the token signing key (or `{"keys": [...]}` while rotating). */
  ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: z.string().min(1, 'required: the signing key secret ARN or name'),
  /** Seconds between policy version checks (default 5). */
  ECS_ADMISSION_POLICY_CHECK_SECONDS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return 5;
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 300) {
        ctx.addIssue({ code: 'custom', message: 'expected whole seconds from 0 to 300' });
        return z.NEVER;
      }
      return n;
    }),
  /** `POST /v1/embed`: further embed options as a JSON object (docs/embed.md). */
  ECS_ADMISSION_EMBED_CONFIG: optional,
  /** `POST /v1/embed`: URL the embedded sidecars poll (default: this API's own endpoint). */
  ECS_ADMISSION_POLICY_URL: optional,
  ECS_ADMISSION_DEFENDER_IMAGE_X86_64: optional,
  ECS_ADMISSION_DEFENDER_IMAGE_ARM64: optional,
  /** `POST /v1/embed`: token secret ARN to inject via `secrets` instead of minting a token per family. */
  ECS_ADMISSION_TOKEN_SECRET_ARN: optional,
});

export interface PolicySettings {
  rulesTable: string;
  busName: string;
  signingKeySecretArn: string;
  checkIntervalMs: number;
  /** The embed configuration as the environment gives it; validated by the embed route. */
  embedConfig: Record<string, unknown>;
}

/** Validates the environment and builds the settings, failing fast with the variable's name. */
export function loadPolicySettings(env: Record<string, string | undefined> = process.env): PolicySettings {
  const parsed = PolicyEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new PolicySettingsError(`invalid environment: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  let extra: Record<string, unknown> = {};
  if (e.ECS_ADMISSION_EMBED_CONFIG !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(e.ECS_ADMISSION_EMBED_CONFIG);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PolicySettingsError('ECS_ADMISSION_EMBED_CONFIG: expected a JSON object');
    }
    extra = value as Record<string, unknown>;
  }
  const images = { ...((extra.images as Record<string, unknown> | undefined) ?? {}) };
  if (e.ECS_ADMISSION_DEFENDER_IMAGE_X86_64) images.X86_64 = e.ECS_ADMISSION_DEFENDER_IMAGE_X86_64;
  if (e.ECS_ADMISSION_DEFENDER_IMAGE_ARM64) images.ARM64 = e.ECS_ADMISSION_DEFENDER_IMAGE_ARM64;
  return {
    rulesTable: e.ECS_ADMISSION_RULES_TABLE,
    busName: e.ECS_ADMISSION_BUS_NAME,
    signingKeySecretArn: e.ECS_ADMISSION_SIGNING_KEY_SECRET_ARN,
    checkIntervalMs: e.ECS_ADMISSION_POLICY_CHECK_SECONDS * 1000,
    embedConfig: {
      ...extra,
      ...(Object.keys(images).length > 0 ? { images } : {}),
      ...(e.ECS_ADMISSION_POLICY_URL ? { policyUrl: e.ECS_ADMISSION_POLICY_URL } : {}),
      ...(e.ECS_ADMISSION_TOKEN_SECRET_ARN ? { tokenSecretArn: e.ECS_ADMISSION_TOKEN_SECRET_ARN } : {}),
    },
  };
}
