import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import { needsImageConfig } from './command-line.js';
import type { EmbedConfig } from './config.js';
import { decideEmbed } from './decide.js';
import type { Platform } from './image-config.js';
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
