import { parseTaskDefinitionInput } from '../taskdef/parse-input.js';
import type { EmbedConfig } from './config.js';
import { type EmbedResult, embedTaskDefinition } from './embed.js';
import { ImageResolutionError } from './errors.js';
import type { ImageConfig, ImageConfigResolver } from './image-config.js';
import { imagesNeedingConfig, platformOf } from './images-needing-config.js';

/**
 * {@link embedTaskDefinition} with the image configurations it needs looked up first: only the
 * images of containers without `entryPoint`, each image once. Without a resolver it is the pure
 * transform (containers needing an image configuration are then rejected with the fix).
 * Callers go through `embedWithResolver` (./embed-with-resolver.ts), which loads this module.
 * @throws ImageResolutionError naming the container and the registry's reason when a look-up fails.
 */
export async function resolveAndEmbed(
  input: unknown,
  config: EmbedConfig,
  resolver: ImageConfigResolver | undefined,
): Promise<EmbedResult> {
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
