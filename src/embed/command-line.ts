import type { ContainerDefinition } from '../taskdef/types.js';
import type { ImageConfig } from './image-config.js';

/**
 * ECS drops an empty entryPoint or command before it reaches Docker, so `[]` means "unset" exactly
 * like an absent member (the ANTN0 workshop template sets both to `[]` and runs the image's own).
 */
export function isUnset(list: readonly string[] | null | undefined): boolean {
  return list == null || list.length === 0;
}

/** Whether the container's effective command line depends on its image's ENTRYPOINT/CMD. */
export function needsImageConfig(container: Pick<ContainerDefinition, 'entryPoint'>): boolean {
  return isUnset(container.entryPoint);
}

/**
 * The command line Docker runs for a container (its merge rule): a container `entryPoint` replaces
 * the image ENTRYPOINT and drops the image CMD; the image CMD is used only when neither
 * `entryPoint` nor `command` is set; the image ENTRYPOINT is used whenever `entryPoint` is unset.
 * Returns undefined when the answer depends on an image configuration that is not given.
 */
export function effectiveCommandLine(
  container: Pick<ContainerDefinition, 'entryPoint' | 'command'>,
  image?: ImageConfig,
): string[] | undefined {
  const { entryPoint, command } = container;
  if (!isUnset(entryPoint)) return [...(entryPoint ?? []), ...(command ?? [])];
  if (image === undefined) return undefined;
  const cmd = isUnset(command) ? (image.cmd ?? []) : (command ?? []);
  return [...(image.entrypoint ?? []), ...cmd];
}
