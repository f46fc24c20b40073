import { ECS_LIMITS } from '../taskdef/ecs-limits.js';
import type { ContainerDefinition, RegisterTaskDefinitionRequest, Tag, Volume } from '../taskdef/types.js';
import { findCollisions } from './collisions.js';
import { effectiveCommandLine, isUnset, needsImageConfig } from './command-line.js';
import type { EmbedConfig } from './config.js';
import type { Change, Problem } from './decision.js';
import type { ImageConfig } from './image-config.js';
import { findInputProblems } from './input-problems.js';
import { AUDIT_VOLUME, DEFENDER_VOLUME } from './layout.js';
import { type DefenderRecord, EMBED_VERSION, EMBED_VERSION_TAG, SOURCE_TAG } from './marker.js';
import { buildSidecar, defenderImage } from './sidecar.js';
import { planTaskSize } from './task-size.js';
import { planWaasPorts } from './waas-ports.js';
import { pinImage, wrapContainer } from './wrap-container.js';

const MAX_CONTAINERS = ECS_LIMITS.maxContainers;
/** Tags per resource and tag value length (Service Quotas / tagging reference). */
const MAX_TAGS = 50;
const MAX_TAG_VALUE = 256;

/** Why a definition cannot be protected: `invalid-input` (exit 2) or `cannot-protect` (exit 3). */
export type Rejection = 'invalid-input' | 'cannot-protect';

export type RenderResult =
  | {
      ok: true;
      output: RegisterTaskDefinitionRequest;
      changes: Change[];
      imageDigests: Record<string, string>;
    }
  | { ok: false; rejection: Rejection; problems: Problem[] };

/** Inputs to {@link renderProtection} besides the definition. */
export interface RenderOptions {
  config: EmbedConfig;
  fargate: boolean;
  /** Value of the source marker. */
  source: string;
  wrap: ReadonlySet<number>;
  leave: ReadonlyMap<number, string>;
  imageConfigs: ReadonlyMap<string, ImageConfig>;
}

function describeOrigin(container: ContainerDefinition, image: ImageConfig | undefined): string {
  if (!isUnset(container.entryPoint))
    return isUnset(container.command) ? 'entryPoint' : 'entryPoint + command';
  const entry = image?.entrypoint?.length ? 'the image ENTRYPOINT' : undefined;
  const fromImage = entry === undefined ? 'the image CMD' : 'CMD';
  const rest = isUnset(container.command) ? (image?.cmd?.length ? fromImage : undefined) : 'command';
  return [entry, rest].filter((s) => s !== undefined).join(' + ') || 'nothing';
}

function unknownImageMessage(c: ContainerDefinition): string {
  const what = isUnset(c.command) ? 'ENTRYPOINT and CMD' : 'ENTRYPOINT';
  const empty = c.entryPoint !== undefined ? ' (entryPoint [] counts as unset in ECS)' : '';
  return (
    `cannot wrap "${c.name}": its command line comes from the image's ${what}${empty}, which ${isUnset(c.command) ? 'are' : 'is'} not known here. ` +
    `Set entryPoint${isUnset(c.command) ? ' and command' : ''} in the task definition to what image "${c.image}" runs ` +
    '(docker image inspect shows Config.Entrypoint and Config.Cmd), or enable image look-up (--resolve-images)'
  );
}

/**
 * Renders the protected definition: wraps each target container, adds the sidecar, the task
 * volumes and the marker tags, and sizes the task. Collects every problem before giving up, so a
 * rejection lists all that must be fixed.
 */
export function renderProtection(
  original: RegisterTaskDefinitionRequest,
  options: RenderOptions,
): RenderResult {
  const { config, wrap, leave, imageConfigs } = options;
  const invalid = findInputProblems(original);
  if (invalid.length > 0) return { ok: false, rejection: 'invalid-input', problems: invalid };

  const problems: Problem[] = findCollisions(original, config, wrap);
  const containers = original.containerDefinitions;
  if (containers.length + 1 > MAX_CONTAINERS) {
    problems.push({
      path: 'containerDefinitions',
      message: `the task has ${containers.length} containers; with the defender sidecar it would have ${containers.length + 1}, over ECS's limit of ${MAX_CONTAINERS} per task definition`,
    });
  }
  if ((original.tags?.length ?? 0) + 2 > MAX_TAGS) {
    problems.push({
      path: 'tags',
      message: `the task definition has ${original.tags?.length} tags; the two protection tags would put it over ECS's limit of ${MAX_TAGS}`,
    });
  }
  if (config.tokenSecretArn !== undefined && original.executionRoleArn === undefined) {
    problems.push({
      path: 'executionRoleArn',
      message:
        'the defender token comes from a secret (tokenSecretArn), which ECS reads with the task execution role; set executionRoleArn to a role allowed to read it',
    });
  }

  const commandLines = new Map<number, { argv: string[]; image?: ImageConfig }>();
  for (const i of wrap) {
    const c = containers[i] as ContainerDefinition;
    const image = needsImageConfig(c) && c.image !== undefined ? imageConfigs.get(c.image) : undefined;
    const argv = effectiveCommandLine(c, image);
    if (argv === undefined) {
      problems.push({ path: `containerDefinitions[${i}].entryPoint`, message: unknownImageMessage(c) });
    } else if (argv.length === 0) {
      problems.push({
        path: `containerDefinitions[${i}].entryPoint`,
        message: `"${c.name}" has no command line: neither the task definition nor image "${c.image}" sets an entrypoint or command, so Docker could not start it either; set entryPoint`,
      });
    } else commandLines.set(i, { argv, ...(image !== undefined ? { image } : {}) });
  }
  const waas = planWaasPorts(original, config.waas, wrap);
  if (waas.kind === 'reject') problems.push(...waas.problems);
  if (problems.length > 0) return { ok: false, rejection: 'cannot-protect', problems };

  const changes: Change[] = [];
  const imageDigests: Record<string, string> = {};
  const wrappedApps: ContainerDefinition[] = [];
  const outContainers = containers.map((c, i) => {
    const line = commandLines.get(i);
    if (line === undefined) {
      changes.push({
        kind: 'leave-container',
        path: `containerDefinitions[${i}]`,
        message: `"${c.name}" left unwrapped: ${leave.get(i) ?? 'not an app container'}`,
      });
      return c;
    }
    const digest = line.image?.digest;
    if (digest !== undefined && c.name !== undefined) imageDigests[c.name] = digest;
    const pinned =
      config.pinDigests && digest !== undefined && c.image !== undefined
        ? pinImage(c.image, digest)
        : undefined;
    const { container, changes: wrapChanges } = wrapContainer(c, {
      index: i,
      family: original.family,
      sidecarName: config.sidecarName,
      argv: line.argv,
      origin: describeOrigin(c, line.image),
      ...(pinned !== undefined ? { pinnedImage: pinned } : {}),
      ...(waas.kind === 'apply' && waas.container === i ? { removePortMappings: waas.remove } : {}),
    });
    changes.push(...wrapChanges);
    wrappedApps.push(c);
    return container;
  });

  const record: DefenderRecord = {
    version: EMBED_VERSION,
    source: options.source,
    created: [],
    volumes: [DEFENDER_VOLUME, AUDIT_VOLUME],
    tags: [SOURCE_TAG, EMBED_VERSION_TAG],
    unwrapped: [...leave.keys()].map((i) => containers[i]?.name ?? ''),
  };
  if (original.volumes === undefined) record.created.push('volumes');
  if (original.tags === undefined) record.created.push('tags');

  // The sidecar is sized before it is built: its size takes part in the task-size plan.
  const sidecarSize: ContainerDefinition = {
    cpu: config.sidecarCpu,
    memoryReservation: config.sidecarMemoryReservation,
  };
  const size = planTaskSize(original, [...containers, sidecarSize], {
    fargate: options.fargate,
    resize: config.resize,
  });
  if (!size.ok) return { ok: false, rejection: 'cannot-protect', problems: size.problems };
  if (size.cpu !== undefined) record.cpu = original.cpu ?? null;
  if (size.memory !== undefined) record.memory = original.memory ?? null;

  const sidecar = buildSidecar(
    original,
    config,
    wrappedApps,
    record,
    waas.kind === 'apply' ? [waas.sidecarMapping] : [],
  );
  const sidecarIndex = outContainers.length;
  changes.push({
    kind: 'add-container',
    path: `containerDefinitions[${sidecarIndex}]`,
    message: `added the defender sidecar "${config.sidecarName}" (image ${defenderImage(original, config)}, cpu ${config.sidecarCpu}, memoryReservation ${config.sidecarMemoryReservation} MiB, ${config.essential ? 'essential' : 'not essential'}${sidecar.logConfiguration ? ", logging to the app's awslogs group" : ''})`,
  });
  if (waas.kind === 'apply') changes.push(...waas.changes);
  if (waas.kind === 'skip') changes.push(waas.note);

  const volumes: Volume[] = [...(original.volumes ?? []), { name: DEFENDER_VOLUME }, { name: AUDIT_VOLUME }];
  const firstVolume = volumes.length - 2;
  changes.push({
    kind: 'add-volume',
    path: `volumes[${firstVolume}]`,
    message: `added task volume ${DEFENDER_VOLUME} (launcher and policies) and ${AUDIT_VOLUME} (audits)`,
  });

  const tags: Tag[] = [
    ...(original.tags ?? []),
    { key: SOURCE_TAG, value: options.source.slice(0, MAX_TAG_VALUE) },
    { key: EMBED_VERSION_TAG, value: EMBED_VERSION },
  ];
  changes.push({
    kind: 'add-tag',
    path: `tags[${tags.length - 2}]`,
    message: `tagged ${SOURCE_TAG}=${options.source} and ${EMBED_VERSION_TAG}=${EMBED_VERSION}`,
  });
  changes.push(...size.changes);

  const output: RegisterTaskDefinitionRequest = {
    // No copies needed: the output is re-parsed into fresh objects before it leaves embedTaskDefinition.
    ...original,
    containerDefinitions: [...outContainers, sidecar],
    volumes,
    tags,
    ...(size.cpu !== undefined ? { cpu: size.cpu } : {}),
    ...(size.memory !== undefined ? { memory: size.memory } : {}),
  };
  return { ok: true, output, changes, imageDigests };
}
