import type { Platform } from '../embed/image-config.js';
import { PlatformSchema } from '../embed/image-config.js';

/** The platform Fargate runs a task on when its `runtimePlatform` says nothing. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** What an image index says about one of its manifests (OCI `platform` object). */
export interface DescriptorPlatform {
  os?: string | undefined;
  architecture?: string | undefined;
  variant?: string | undefined;
}

/**
 * The platform for an ECS task's `runtimePlatform` (`cpuArchitecture` X86_64 / ARM64). Fargate's
 * ARM64 is Graviton, i.e. `linux/arm64/v8`.
 */
export function platformForRuntimePlatform(runtimePlatform?: {
  cpuArchitecture?: string | undefined;
}): Platform {
  return runtimePlatform?.cpuArchitecture === 'ARM64'
    ? { os: 'linux', architecture: 'arm64', variant: 'v8' }
    : DEFAULT_PLATFORM;
}

/**
 * Parses `linux/amd64`, `linux/arm64`, `linux/arm64/v8` (also `amd64` and `arm64` alone).
 * @throws Error naming the accepted forms.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts.length === 1 ? ['linux', parts[0], undefined] : parts;
  const parsed = PlatformSchema.safeParse({
    os,
    architecture: architecture === 'x86_64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture,
    ...(variant === undefined || variant === '' ? {} : { variant }),
  });
  if (!parsed.success || parts.length > 3) {
    throw new Error(`unknown platform "${text}": use linux/amd64, linux/arm64 or linux/arm64/v8`);
  }
  return parsed.data;
}

/** `linux/arm64/v8`. */
export function formatPlatform(platform: DescriptorPlatform): string {
  return [platform.os ?? '?', platform.architecture ?? '?', platform.variant]
    .filter((p) => p !== undefined && p !== '')
    .join('/');
}

// containerd's normalisation: arm64 without a variant is v8, amd64 without one is the baseline v1.
function normalisedVariant(
  architecture: string | undefined,
  variant: string | undefined,
): string | undefined {
  if (variant !== undefined && variant !== '') return variant;
  if (architecture === 'arm64') return 'v8';
  if (architecture === 'amd64') return 'v1';
  return undefined;
}

/**
 * Picks the entry of an image index for `platform`: same OS and architecture, and the same variant
 * when the platform names one (arm64 without a variant counts as v8). Among several candidates the
 * baseline (no variant) wins, as Docker would pull it on any machine of that architecture.
 * Attestation entries (`unknown/unknown`) never match.
 */
export function selectPlatformEntry<T extends { platform?: DescriptorPlatform | undefined }>(
  entries: readonly T[],
  platform: Platform,
): T | undefined {
  const candidates = entries.filter(
    (e) => e.platform?.os === platform.os && e.platform.architecture === platform.architecture,
  );
  const wanted = normalisedVariant(platform.architecture, platform.variant);
  const matching =
    platform.variant === undefined
      ? candidates
      : candidates.filter((e) => normalisedVariant(e.platform?.architecture, e.platform?.variant) === wanted);
  const baseline = matching.find(
    (e) =>
      normalisedVariant(e.platform?.architecture, e.platform?.variant) ===
      normalisedVariant(platform.architecture, undefined),
  );
  return baseline ?? matching[0];
}
