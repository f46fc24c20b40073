import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { EmbedConfig } from './config.js';
import type { Problem } from './decision.js';
import { APP_ENV, AUDIT_PATH, AUDIT_VOLUME, DEFENDER_PATH, DEFENDER_VOLUME } from './layout.js';
import { DEFENDER_LABEL, EMBED_VERSION_TAG, SOURCE_TAG, WRAPPED_LABEL } from './marker.js';

const OUR_VOLUMES = new Map([
  [DEFENDER_VOLUME, DEFENDER_PATH],
  [AUDIT_VOLUME, AUDIT_PATH],
]);
const OUR_PATHS = [DEFENDER_PATH, AUDIT_PATH];
const OUR_APP_ENV = new Set<string>(Object.values(APP_ENV));
const OUR_TAGS = new Set([SOURCE_TAG, EMBED_VERSION_TAG]);

const isUnder = (path: string, root: string) =>
  path.replace(/\/+$/, '') === root || path.startsWith(`${root}/`);

/**
 * Names the transform would add that the task definition already uses for something of its own.
 * The transform never clobbers: each collision is a problem naming both sides and the fix.
 * `wrapped` holds the indices of the containers that get the launcher (and our mounts and env).
 */
export function findCollisions(
  request: RegisterTaskDefinitionRequest,
  config: EmbedConfig,
  wrapped: ReadonlySet<number>,
): Problem[] {
  const problems: Problem[] = [];
  const sidecar = config.sidecarName;
  const sidecarNote = 'rename it, or configure another sidecarName';

  request.containerDefinitions.forEach((container, i) => {
    const at = `containerDefinitions[${i}]`;
    if (container.name === sidecar) {
      problems.push({
        path: `${at}.name`,
        message: `container "${sidecar}" has the name of the defender sidecar the transform adds; ${sidecarNote}`,
      });
    }
    container.dependsOn?.forEach((dep, j) => {
      if (dep.containerName === sidecar && container.name !== sidecar) {
        problems.push({
          path: `${at}.dependsOn[${j}].containerName`,
          message: `container "${container.name}" already depends on a container named "${sidecar}", the defender sidecar's name; ${sidecarNote}`,
        });
      }
    });
    container.volumesFrom?.forEach((from, j) => {
      if (from.sourceContainer === sidecar) {
        problems.push({
          path: `${at}.volumesFrom[${j}].sourceContainer`,
          message: `container "${container.name}" takes volumes from "${sidecar}", the defender sidecar's name; ${sidecarNote}`,
        });
      }
    });
    for (const label of [DEFENDER_LABEL, WRAPPED_LABEL]) {
      if (container.dockerLabels?.[label] !== undefined) {
        problems.push({
          path: `${at}.dockerLabels[${JSON.stringify(label)}]`,
          message: `container "${container.name}" carries the label "${label}" that marks ecs-admission's own containers, but the task has no ecs-admission defender sidecar; remove the label`,
        });
      }
    }
    if (!wrapped.has(i)) return;
    container.mountPoints?.forEach((mount, j) => {
      const path = mount.containerPath ?? '';
      const root = OUR_PATHS.find((p) => isUnder(path, p) || isUnder(p, path.replace(/\/+$/, '') || '/'));
      if (root !== undefined && path !== '') {
        problems.push({
          path: `${at}.mountPoints[${j}].containerPath`,
          message: `container "${container.name}" mounts "${mount.sourceVolume ?? ''}" at ${path}, which overlaps the defender's mount at ${root}; move that mount elsewhere`,
        });
      }
    });
    const envLike = [
      ...(container.environment ?? []).map((e, j) => ({
        name: e.name,
        path: `${at}.environment[${j}].name`,
      })),
      ...(container.secrets ?? []).map((s, j) => ({ name: s.name, path: `${at}.secrets[${j}].name` })),
    ];
    for (const variable of envLike) {
      if (variable.name !== undefined && OUR_APP_ENV.has(variable.name)) {
        problems.push({
          path: variable.path,
          message: `container "${container.name}" sets ${variable.name}, which the transform sets for the defender launcher; remove it`,
        });
      }
    }
  });

  request.volumes?.forEach((volume, i) => {
    const ours = volume.name === undefined ? undefined : OUR_VOLUMES.get(volume.name);
    if (ours !== undefined) {
      problems.push({
        path: `volumes[${i}].name`,
        message: `volume "${volume.name}" has the name of the defender's task volume (mounted at ${ours}); rename it and its mount points`,
      });
    }
  });

  request.tags?.forEach((tag, i) => {
    if (tag.key !== undefined && OUR_TAGS.has(tag.key)) {
      problems.push({
        path: `tags[${i}].key`,
        message: `tag "${tag.key}" is the protection marker the transform writes, but the task has no ecs-admission defender sidecar; remove the tag`,
      });
    }
  });
  return problems;
}
