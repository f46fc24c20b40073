import type { EmbedConfig } from './config.js';
import type { EmbedResult } from './embed.js';
import { ImageResolutionError } from './errors.js';
import type { ImageConfig, ImageConfigResolver } from './image-config.js';

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
  const [{ parseTaskDefinitionInput }, { embedTaskDefinition }, { imagesNeedingConfig, platformOf }] =
    await Promise.all([
      import('../taskdef/parse-input.js'),
      import('./embed.js'),
      import('./images-needing-config.js'),
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
