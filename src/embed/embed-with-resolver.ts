import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import { needsImageConfig } from './command-line.js';
import type { EmbedConfig } from './config.js';
import { decideEmbed } from './decide.js';
import type { EmbedResult } from './embed.js';
import { ImageResolutionError } from './errors.js';
import type { ImageConfig, ImageConfigResolver, Platform } from './image-config.js';
import { chooseWrapTargets } from './wrap-targets.js';

/**
 * The containers whose command line depends on their image's configuration (no `entryPoint`)
 * among those the transform would wrap, with their image. Empty when the transform would not
 * wrap anything (skipped, already protected) or every container states its own entryPoint.
 */
export function imagesNeedingConfig(
  request: RegisterTaskDefinitionRequest,
  config: EmbedConfig,
): { container: string; image: string; credentialsParameter?: string }[] {
  const plan = decideEmbed(request, {}, config);
  if (plan.kind !== 'embed') return [];
  const { wrap } = chooseWrapTargets(plan.original, config);
  const out: { container: string; image: string; credentialsParameter?: string }[] = [];
  plan.original.containerDefinitions.forEach((c, i) => {
    if (wrap.has(i) && needsImageConfig(c) && c.name !== undefined && c.image !== undefined) {
      const credentialsParameter = c.repositoryCredentials?.credentialsParameter;
      out.push({
        container: c.name,
        image: c.image,
        ...(credentialsParameter ? { credentialsParameter } : {}),
      });
    }
  });
  return out;
}

/** The platform images are resolved for: the task's runtimePlatform (linux/amd64 by default). */
export function platformOf(request: RegisterTaskDefinitionRequest): Platform {
  return {
    os: 'linux',
    architecture: request.runtimePlatform?.cpuArchitecture === 'ARM64' ? 'arm64' : 'amd64',
  };
}

/**
 * {@link embedTaskDefinition} with the image configurations it needs looked up first: only the
 * images of containers without `entryPoint`, each image once. Without a resolver it is the pure
 * transform (containers needing an image configuration are then rejected with the fix).
 * @throws ImageResolutionError naming the container and the registry's reason when a look-up fails.
 */
export async function embedWithResolver(
  input: unknown,
  config: EmbedConfig,
  resolver: ImageConfigResolver | undefined,
): Promise<EmbedResult> {
  // The transform and the task definition schemas load with the first definition to protect:
  // most admission events (service updates, tasks run from protected definitions) need neither.
  const [{ parseTaskDefinitionInput }, { embedTaskDefinition }] = await Promise.all([
    import('../taskdef/parse-input.js'),
    import('./embed.js'),
  ]);
  const parsed = parseTaskDefinitionInput(input);
  if (resolver === undefined || !parsed.ok) return embedTaskDefinition(input, config);
  const needed = imagesNeedingConfig(parsed.request, config);
  const platform = platformOf(parsed.request);
  const configs = new Map<string, ImageConfig>();
  const pending = new Map<string, Promise<ImageConfig>>();
  await Promise.all(
    needed.map(async ({ container, image, credentialsParameter }) => {
      // Each image once; two containers naming one image with different credentials are rare enough
      // that the first container's credentials serve both (ECS reads one secret per container).
      let lookup = pending.get(image);
      if (lookup === undefined) {
        lookup = resolver(image, platform, { credentialsParameter });
        pending.set(image, lookup);
      }
      try {
        configs.set(image, await lookup);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ImageResolutionError(container, image, reason, { cause: error });
      }
    }),
  );
  return embedTaskDefinition(input, config, configs);
}
