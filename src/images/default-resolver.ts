import type { ImageConfigResolver } from '../embed/image-config.js';
import type { EcrClientFactory } from './ecr-credentials.js';
import type { RegistryImageResolver, RegistryResolverOptions } from './registry-resolver.js';

/**
 * The resolver entry points (CLI, HTTP, Lambda) use by default: a {@link RegistryImageResolver}
 * that is built on the first look-up, with ECR clients from the environment's AWS credentials.
 * Nothing heavy loads until an image is actually looked up, and the AWS SDK's ECR client only for
 * an ECR image, so `embed` of task definitions that need no look-up starts as fast as without it.
 */
export function createDefaultImageResolver(options: RegistryResolverOptions = {}): ImageConfigResolver {
  let resolver: Promise<RegistryImageResolver> | undefined;
  const ecrClientFactory: EcrClientFactory = (region) => ({
    async send(command) {
      const { ECRClient } = await import('@aws-sdk/client-ecr');
      return new ECRClient({ region }).send(command);
    },
  });
  return async (image, platform) => {
    resolver ??= import('./registry-resolver.js').then(
      (m) => new m.RegistryImageResolver({ ecrClientFactory, ...options }),
    );
    return (await resolver).resolveConfig(image, platform);
  };
}
