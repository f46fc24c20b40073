import { z } from 'zod';
import { type EmbedConfig, resolveEmbedConfig } from '../embed/config.js';
import { SettingsError } from './errors.js';

const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((s) => (s === undefined || s === '' ? fallback : s === 'true' || s === '1'));
const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      const n = Number(s);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}, got "${s}"` });
        return z.NEVER;
      }
      return n;
    });

/**
 * The admission Lambdas' environment, read once at start-up. Every variable is documented in
 * docs/admission.md; serverless.yml sets them. Patterns are comma-separated, `*` is a wildcard.
 */
export const AdmissionEnvSchema = z.object({
  /** `enforce` (act), `audit` (decide and report only) or `off`. */
  ECS_ADMISSION_MODE: z.enum(['enforce', 'audit', 'off']).default('audit'),
  /** Task-definition families never touched. */
  ECS_ADMISSION_EXCLUDE_FAMILIES: list,
  /** Cluster names whose services and tasks are never touched. */
  ECS_ADMISSION_EXCLUDE_CLUSTERS: list,
  /** Service names never moved. */
  ECS_ADMISSION_EXCLUDE_SERVICES: list,
  /** DynamoDB table (partition key `pk`, string) holding claims, twins and the sweep cursor. */
  ECS_ADMISSION_STATE_TABLE: z.string().min(3),
  /** DynamoDB table (keys `family` + `service`, strings): the family → services index. */
  ECS_ADMISSION_INDEX_TABLE: z.string().min(3),
  /** The policy service's rules table: each twin's WAAS ports come from its task's policy. Optional. */
  ECS_ADMISSION_RULES_TABLE: z.string().min(3).optional(),
  /** EventBridge bus that receives decision records. */
  ECS_ADMISSION_BUS_NAME: z.string().min(1),
  /** The controller's own role ARN(s): its calls come back as events and are skipped. */
  ECS_ADMISSION_OWN_ROLE_ARNS: list.pipe(
    z.array(z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:/, 'expected IAM role ARNs')),
  ),
  /** Deregister a source revision once no service runs it (off by default). */
  ECS_ADMISSION_DEREGISTER_SOURCE: bool(false),
  /** How long a claim on a source revision holds before another invocation may take it over. */
  ECS_ADMISSION_CLAIM_SECONDS: int(900, 10, 3600),
  /** The sweep stops starting new work when fewer than this many ms remain. */
  ECS_ADMISSION_SWEEP_RESERVE_MS: int(30_000, 1_000, 600_000),
  /** At most this many registrations per sweep run (ECS sustains about one per second). */
  ECS_ADMISSION_SWEEP_MAX_REGISTRATIONS: int(300, 1, 10_000),
  /** Defender images per architecture and policy service URL (embed configuration). */
  ECS_ADMISSION_DEFENDER_IMAGE_X86_64: z.string().min(1).optional(),
  ECS_ADMISSION_DEFENDER_IMAGE_ARM64: z.string().min(1).optional(),
  ECS_ADMISSION_POLICY_URL: z.string().optional(),
  /** Secrets Manager / SSM ARN of the defender token (injected via `secrets`, never in clear). */
  ECS_ADMISSION_TOKEN_SECRET_ARN: z.string().optional(),
  /**
   * Secrets Manager secret (ARN or name) of the policy service's signing key: each twin gets a
   * token minted for its account and family. The token secret above, when set, takes precedence.
   */
  ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: z.string().min(1).optional(),
  /** Opt-out tag as `key=value` (default `ecs-admission:skip=true`). */
  ECS_ADMISSION_SKIP_TAG: z
    .string()
    .regex(/^[^=]+=.*$/, 'expected key=value')
    .optional(),
  /** Further embed options as JSON (see docs/embed.md); the variables above win. */
  ECS_ADMISSION_EMBED_CONFIG: z.string().optional(),
  /** The account the Lambdas run in; with the two below, events of other accounts are handled there. */
  ECS_ADMISSION_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit AWS account ID')
    .optional(),
  /** Role (infra/member-account.yml) assumed in member accounts; its sessions are the controller's own. */
  ECS_ADMISSION_MEMBER_ROLE_NAME: z.string().min(1).optional(),
  /** External ID the member role demands (unset: events of other accounts fail with the reason). */
  ECS_ADMISSION_MEMBER_EXTERNAL_ID: z.string().optional(),
});

export interface AdmissionSettings {
  mode: 'enforce' | 'audit' | 'off';
  exclusions: { families: string[]; clusters: string[]; services: string[] };
  stateTable: string;
  indexTable: string;
  /** Rules table read for WAAS; undefined: only the embed configuration's `waas` option counts. */
  rulesTable?: string | undefined;
  busName: string;
  ownRoleArns: string[];
  deregisterSource: boolean;
  claimMs: number;
  sweepReserveMs: number;
  sweepMaxRegistrations: number;
  embed: EmbedConfig;
  /** Signing key secret: twins get minted tokens unless `embed` names a token or token secret. */
  signingKeySecretArn?: string | undefined;
  /** Cross-account handling; undefined when ECS_ADMISSION_ACCOUNT_ID is unset (one account). */
  accounts?: { ownAccount: string; memberRoleName: string; externalId: string } | undefined;
}

/**
 * Validates the environment and builds the settings, failing fast with the variable's name and
 * what is expected. Values are never echoed for the token-bearing variables.
 */
export function loadAdmissionSettings(
  env: Record<string, string | undefined> = process.env,
): AdmissionSettings {
  // The stack passes unset parameters as empty strings: they mean "use the default".
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = AdmissionEnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new SettingsError(`invalid environment: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  let extra: Record<string, unknown> = {};
  if (e.ECS_ADMISSION_EMBED_CONFIG) {
    try {
      extra = JSON.parse(e.ECS_ADMISSION_EMBED_CONFIG) as Record<string, unknown>;
    } catch {
      throw new SettingsError('ECS_ADMISSION_EMBED_CONFIG: expected a JSON object');
    }
  }
  const images = { ...((extra.images as Record<string, string> | undefined) ?? {}) };
  if (e.ECS_ADMISSION_DEFENDER_IMAGE_X86_64) images.X86_64 = e.ECS_ADMISSION_DEFENDER_IMAGE_X86_64;
  if (e.ECS_ADMISSION_DEFENDER_IMAGE_ARM64) images.ARM64 = e.ECS_ADMISSION_DEFENDER_IMAGE_ARM64;
  const skip = e.ECS_ADMISSION_SKIP_TAG?.split('=');
  let embed: EmbedConfig;
  try {
    embed = resolveEmbedConfig({
      ...extra,
      ...(Object.keys(images).length > 0 ? { images } : {}),
      ...(e.ECS_ADMISSION_POLICY_URL ? { policyUrl: e.ECS_ADMISSION_POLICY_URL } : {}),
      ...(e.ECS_ADMISSION_TOKEN_SECRET_ARN ? { tokenSecretArn: e.ECS_ADMISSION_TOKEN_SECRET_ARN } : {}),
      ...(skip ? { skipTag: { key: skip[0], value: skip.slice(1).join('=') } } : {}),
    });
  } catch (error) {
    throw new SettingsError(
      `embed configuration (ECS_ADMISSION_EMBED_CONFIG and ECS_ADMISSION_DEFENDER_IMAGE_*/POLICY_URL/TOKEN_SECRET_ARN/SKIP_TAG): ${(error as Error).message}`,
    );
  }
  // A sidecar without a token gets 401 from the policy service: refuse to start rather than embed those.
  if (
    e.ECS_ADMISSION_MODE !== 'off' &&
    embed.token === undefined &&
    embed.tokenSecretArn === undefined &&
    e.ECS_ADMISSION_SIGNING_KEY_SECRET_ARN === undefined
  ) {
    throw new SettingsError(
      'ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: required (the signing key that mints each sidecar its defender token), unless ECS_ADMISSION_TOKEN_SECRET_ARN names an account-wide token secret or ECS_ADMISSION_MODE is off',
    );
  }
  return {
    mode: e.ECS_ADMISSION_MODE,
    exclusions: {
      families: e.ECS_ADMISSION_EXCLUDE_FAMILIES,
      clusters: e.ECS_ADMISSION_EXCLUDE_CLUSTERS,
      services: e.ECS_ADMISSION_EXCLUDE_SERVICES,
    },
    stateTable: e.ECS_ADMISSION_STATE_TABLE,
    indexTable: e.ECS_ADMISSION_INDEX_TABLE,
    rulesTable: e.ECS_ADMISSION_RULES_TABLE,
    busName: e.ECS_ADMISSION_BUS_NAME,
    ownRoleArns: e.ECS_ADMISSION_OWN_ROLE_ARNS,
    deregisterSource: e.ECS_ADMISSION_DEREGISTER_SOURCE,
    claimMs: e.ECS_ADMISSION_CLAIM_SECONDS * 1000,
    sweepReserveMs: e.ECS_ADMISSION_SWEEP_RESERVE_MS,
    sweepMaxRegistrations: e.ECS_ADMISSION_SWEEP_MAX_REGISTRATIONS,
    embed,
    signingKeySecretArn: e.ECS_ADMISSION_SIGNING_KEY_SECRET_ARN,
    accounts: e.ECS_ADMISSION_ACCOUNT_ID
      ? {
          ownAccount: e.ECS_ADMISSION_ACCOUNT_ID,
          memberRoleName: e.ECS_ADMISSION_MEMBER_ROLE_NAME ?? 'ecs-admission-member',
          externalId: e.ECS_ADMISSION_MEMBER_EXTERNAL_ID ?? '',
        }
      : undefined,
  };
}
