import type { TaskDefinitionSource } from '../taskdef/parse-input.js';
import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { EmbedConfig } from './config.js';
import type { Problem } from './decision.js';
import { StripError } from './errors.js';
import { compareEmbedVersions, EMBED_VERSION, inspectProtection, UNREGISTERED_SOURCE } from './marker.js';
import { stripProtection } from './strip.js';
import { waasDrift } from './waas-drift.js';

/** What the transform is to do with a parsed task definition. */
export type EmbedPlan =
  | { kind: 'skip'; reason: string }
  | { kind: 'already-protected'; reason: string; embedVersion: string; source?: string }
  | {
      kind: 'embed';
      /** The unprotected definition to embed into (stripped when the input was protected before). */
      original: RegisterTaskDefinitionRequest;
      /** Fargate rules (sizes) apply; false for EC2 tasks protected through `includeEc2`. */
      fargate: boolean;
      /** Value of the source marker: the original's `family:revision`, or `unregistered`. */
      source: string;
      /** Embed version the input was protected by, when it is being upgraded. */
      upgradedFrom?: string;
      /** Why a definition protected by the current version is re-embedded (WAAS option changed). */
      reembedReason?: string;
    }
  | { kind: 'reject'; problems: Problem[] };

/** Why the transform does not apply to this (unprotected) definition, if it does not. */
function notApplicable(
  request: RegisterTaskDefinitionRequest,
  config: EmbedConfig,
): string | { fargate: boolean } {
  const os = request.runtimePlatform?.operatingSystemFamily;
  if (os !== undefined && os !== 'LINUX') {
    return `it runs Windows containers (runtimePlatform.operatingSystemFamily ${os}); the defender supports Linux only`;
  }
  const compat = request.requiresCompatibilities ?? [];
  if (compat.includes('FARGATE')) return { fargate: true };
  const ec2 = compat.length === 0 || compat.includes('EC2');
  if (ec2 && config.includeEc2) return { fargate: false };
  const launch =
    compat.length === 0
      ? 'no requiresCompatibilities, which ECS treats as EC2'
      : `requiresCompatibilities ${compat.join(', ')}`;
  return ec2
    ? `it is not a Fargate task definition (${launch}); enable includeEc2 to protect EC2 tasks`
    : `it is not a Fargate task definition (${launch}); only FARGATE (and EC2 with includeEc2) are supported`;
}

/**
 * Decides, before rendering anything: opted out → skip; protected by the current (or a newer)
 * embed version → already protected; protected by an older one → strip and re-embed, keeping the
 * recorded source; protected by the current one but with another WAAS port hand-over than the
 * configuration asks for → strip and re-embed; not a Fargate Linux task (or EC2 with `includeEc2`) → skip with the reason.
 */
export function decideEmbed(
  request: RegisterTaskDefinitionRequest,
  ref: TaskDefinitionSource,
  config: EmbedConfig,
): EmbedPlan {
  const { key, value } = config.skipTag;
  if (request.tags?.some((t) => t.key === key && t.value === value)) {
    return { kind: 'skip', reason: `it carries the opt-out tag ${key}=${value}` };
  }

  let original = request;
  let source =
    ref.revision !== undefined && ref.family !== undefined
      ? `${ref.family}:${ref.revision}`
      : UNREGISTERED_SOURCE;
  let upgradedFrom: string | undefined;
  let reembedReason: string | undefined;
  const protection = inspectProtection(request);
  if (protection.protected && protection.embedVersion !== undefined) {
    const version = protection.embedVersion;
    if (protection.current) reembedReason = waasDrift(request, config);
    if (
      (protection.current && reembedReason === undefined) ||
      compareEmbedVersions(version, EMBED_VERSION) > 0
    ) {
      return {
        kind: 'already-protected',
        reason: protection.current
          ? `it is already protected by embed version ${version}`
          : `it is protected by embed version ${version}, newer than this one (${EMBED_VERSION}); left as it is`,
        embedVersion: version,
        ...(protection.source !== undefined ? { source: protection.source } : {}),
      };
    }
    try {
      original = stripProtection(request);
    } catch (error) {
      if (error instanceof StripError)
        return { kind: 'reject', problems: [{ path: error.path, message: error.message }] };
      throw error;
    }
    source = protection.source ?? source;
    upgradedFrom = version;
  } else if (protection.protected) {
    // A sidecar label that does not parse: stripping would guess, so say what to fix instead.
    return {
      kind: 'reject',
      problems: [
        {
          path: 'containerDefinitions',
          message: `${protection.reason ?? 'malformed marker'}; restore it or embed the original task definition`,
        },
      ],
    };
  }

  const applies = notApplicable(original, config);
  if (typeof applies === 'string') return { kind: 'skip', reason: applies };
  return {
    kind: 'embed',
    original,
    fargate: applies.fargate,
    source,
    ...(upgradedFrom !== undefined ? { upgradedFrom } : {}),
    ...(reembedReason !== undefined ? { reembedReason } : {}),
  };
}
