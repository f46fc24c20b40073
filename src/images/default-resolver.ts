import type { ImageConfigResolver } from '../embed/image-config.js';
import type { EcrClientFactory } from './ecr-credentials.js';
import type { RegistryImageResolver, RegistryResolverOptions } from './registry-resolver.js';
import type { SecretsManagerLike } from './repository-credentials.js';

/** The region of a Secrets Manager ARN (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`), if it is one. */
function regionOfSecret(secretId: unknown): string | undefined {
  return typeof secretId === 'string' ? /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretId)?.[1] : undefined;
}

/**
 * The resolver entry points (CLI, HTTP, Lambda) use by default: a {@link RegistryImageResolver}
 * that is built on the first look-up, with ECR and Secrets Manager clients from the environment's AWS
 * credentials. Nothing heavy loads until an image is actually looked up, the ECR client only for an
 * ECR image, and the Secrets Manager client only for a container with `repositoryCredentials` — so
 * `embed` of task definitions that need no look-up starts as fast as without it. A caller whose
 * credentials may not read the secret gets the look-up rejected with Secrets Manager's reason.
 */
export function createDefaultImageResolver(options: RegistryResolverOptions = {}): ImageConfigResolver {
  let resolver: Promise<RegistryImageResolver> | undefined;
  const ecrClientFactory: EcrClientFactory = (region) => ({
    async send(command) {
      const { ECRClient } = await import('@aws-sdk/client-ecr');
      return new ECRClient({ region }).send(command);
    },
  });
  const secretsManager: SecretsManagerLike = {
    async send(command) {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const region = regionOfSecret((command.input as { SecretId?: unknown }).SecretId);
      return new SecretsManagerClient(region ? { region } : {}).send(command);
    },
  };
  return async (image, platform, lookup) => {
    resolver ??= import('./registry-resolver.js').then(
      (m) => new m.RegistryImageResolver({ ecrClientFactory, secretsManager, ...options }),
    );
    return (await resolver).resolveConfig(image, platform, lookup);
  };
}
