import type { EmbedConfig } from './config.js';
import type { EmbedResult } from './embed.js';
import type { ImageConfigResolver } from './image-config.js';

/**
 * The embed transform with the image configurations it needs looked up first: only the images of
 * containers without `entryPoint`, each image once. Without a resolver it is the pure transform
 * (containers needing an image configuration are then rejected with the fix).
 * @throws ImageResolutionError naming the container and the registry's reason when a look-up fails.
 */
export async function embedWithResolver(
  input: unknown,
  config: EmbedConfig,
  resolver: ImageConfigResolver | undefined,
): Promise<EmbedResult> {
  // The transform and the task definition schemas load with the first definition to protect:
  // most admission events (service updates, tasks run from protected definitions) need neither,
  // and one module to load keeps the code they share with the cold start in few chunks.
  const { resolveAndEmbed } = await import('./resolve-and-embed.js');
  return resolveAndEmbed(input, config, resolver);
}
