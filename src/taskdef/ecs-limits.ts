import type { Problem } from '../embed/decision.js';
import { formatPath } from './format-issues.js';

/**
 * Limits ECS enforces on RegisterTaskDefinition that the API model does not carry (they live in the
 * ECS developer guide, the API reference prose and Service Quotas). Users hit every one of them,
 * so each is checked with a message that names the limit. One place, so a changed quota is one edit.
 */
export const ECS_LIMITS = {
  /** "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed." */
  familyPattern: /^[A-Za-z0-9_-]{1,255}$/,
  /** Same rule for container names. */
  containerNamePattern: /^[A-Za-z0-9_-]{1,255}$/,
  /** Containers per task definition (Service Quotas, not adjustable). */
  maxContainers: 10,
  /** Task definition size: the serialized RegisterTaskDefinition request, in bytes of UTF-8 JSON. */
  maxRequestBytes: 64 * 1024,
  // Tag count (50) and key/value lengths (1–128, 0–256) are in the API model (Tags, TagKey, TagValue)
  // and checked by the model validator; the model's character pattern is not anchored, so it is here.
  /** Letters, numbers and spaces representable in UTF-8, and `+ - = . _ : / @`; the whole key or value. */
  tagCharacters: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
  /** Reserved for AWS use on keys (case-insensitive); ECS refuses such tags on register. */
  reservedTagKeyPrefix: /^aws:/i,
  /** Container health check bounds, seconds (retries: count). */
  healthCheck: {
    interval: { min: 5, max: 300 },
    timeout: { min: 2, max: 60 },
    retries: { min: 1, max: 10 },
    startPeriod: { min: 0, max: 300 },
  },
  /** Fargate caps the container stop timeout at 120 seconds. */
  fargateMaxStopTimeout: 120,
  /** Fargate ephemeral storage, GiB. */
  ephemeralStorageGiB: { min: 21, max: 200 },
  /** TCP/UDP port numbers. */
  port: { min: 0, max: 65535 },
} as const;

type JsonObject = Record<string, unknown>;
type Path = (string | number)[];

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function checkRange(
  problems: Problem[],
  path: Path,
  value: unknown,
  range: { min: number; max: number },
  what: string,
): void {
  if (typeof value !== 'number') return;
  if (value < range.min || value > range.max)
    problems.push({
      path: formatPath(path),
      message: `${what} must be between ${range.min} and ${range.max}, got ${value}`,
    });
}

function checkTags(problems: Problem[], tags: unknown): void {
  const seen = new Set<string>();
  listOf(tags).forEach((tag, index) => {
    if (!isObject(tag)) return;
    const { key, value } = tag;
    if (typeof key === 'string') {
      const at = formatPath(['tags', index, 'key']);
      if (!ECS_LIMITS.tagCharacters.test(key))
        problems.push({
          path: at,
          message: 'tag keys may hold letters, digits, spaces and + - = . _ : / @ only',
        });
      if (ECS_LIMITS.reservedTagKeyPrefix.test(key))
        problems.push({
          path: at,
          message: 'the aws: prefix is reserved for AWS; ECS refuses such tags on register',
        });
      if (seen.has(key)) problems.push({ path: at, message: `duplicate tag key ${JSON.stringify(key)}` });
      seen.add(key);
    }
    if (typeof value === 'string' && !ECS_LIMITS.tagCharacters.test(value))
      problems.push({
        path: formatPath(['tags', index, 'value']),
        message: 'tag values may hold letters, digits, spaces and + - = . _ : / @ only',
      });
  });
}

/**
 * An upper bound of the UTF-8 JSON size, without building the string: every UTF-16 unit of a string
 * costs at most 6 bytes (a `\u001f` escape), everything else is counted generously. Serializing
 * only when this bound passes the limit keeps validation of ordinary task definitions cheap.
 */
function jsonBytesUpperBound(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length * 6 + 2;
  // No ECS shape nests this deep, so the model validator already refuses such a value; stop here
  // rather than overflow the stack (and let JSON.stringify do the same).
  if (depth > 64) return Number.NEGATIVE_INFINITY;
  if (Array.isArray(value)) {
    let size = 2;
    for (const item of value) size += jsonBytesUpperBound(item, depth + 1) + 1;
    return size;
  }
  if (isObject(value)) {
    let size = 2;
    for (const key in value) size += key.length * 6 + 4 + jsonBytesUpperBound(value[key], depth + 1);
    return size;
  }
  return 24; // numbers, booleans, null
}

/** What a container's checks need to know about the task around it. */
interface TaskContext {
  names: Set<string>;
  volumes: Set<string>;
  fargate: boolean;
  networkMode: unknown;
}

function checkContainer(problems: Problem[], container: JsonObject, index: number, task: TaskContext): void {
  const { names, volumes, fargate, networkMode } = task;
  const at = (...rest: (string | number)[]): string => formatPath(['containerDefinitions', index, ...rest]);
  if (container.name === undefined)
    problems.push({ path: at('name'), message: 'required (every container needs a name)' });
  else if (typeof container.name === 'string' && !ECS_LIMITS.containerNamePattern.test(container.name))
    problems.push({
      path: at('name'),
      message: 'container names are 1 to 255 letters, digits, underscores (_) and hyphens (-)',
    });
  if (container.image === undefined || container.image === '')
    problems.push({ path: at('image'), message: 'required (every container needs an image)' });

  const { memory, memoryReservation } = container;
  if (typeof memory === 'number' && typeof memoryReservation === 'number' && memoryReservation > memory)
    problems.push({
      path: at('memoryReservation'),
      message: `must not exceed memory (${memory} MiB), got ${memoryReservation} MiB`,
    });

  listOf(container.portMappings).forEach((mapping, i) => {
    if (!isObject(mapping)) return;
    checkRange(
      problems,
      ['containerDefinitions', index, 'portMappings', i, 'containerPort'],
      mapping.containerPort,
      ECS_LIMITS.port,
      'a port',
    );
    checkRange(
      problems,
      ['containerDefinitions', index, 'portMappings', i, 'hostPort'],
      mapping.hostPort,
      ECS_LIMITS.port,
      'a port',
    );
    // In awsvpc and host mode the container port is the host port; ECS refuses a different one.
    const sharesHostPorts = networkMode === 'awsvpc' || networkMode === 'host';
    if (
      sharesHostPorts &&
      typeof mapping.hostPort === 'number' &&
      typeof mapping.containerPort === 'number' &&
      mapping.hostPort !== mapping.containerPort
    )
      problems.push({
        path: at('portMappings', i, 'hostPort'),
        message: `with networkMode "${String(networkMode)}" hostPort must be left out or equal containerPort (${mapping.containerPort}), got ${mapping.hostPort}`,
      });
  });
  if (networkMode === 'awsvpc' && listOf(container.links).length > 0)
    problems.push({
      path: at('links'),
      message: 'links are not supported with networkMode "awsvpc" (containers reach each other on localhost)',
    });

  if (isObject(container.healthCheck)) {
    for (const [field, range] of Object.entries(ECS_LIMITS.healthCheck))
      checkRange(
        problems,
        ['containerDefinitions', index, 'healthCheck', field],
        container.healthCheck[field],
        range,
        `healthCheck.${field}`,
      );
    if (Array.isArray(container.healthCheck.command) && container.healthCheck.command.length === 0)
      problems.push({ path: at('healthCheck', 'command'), message: 'must not be empty' });
  }

  if (
    fargate &&
    typeof container.stopTimeout === 'number' &&
    container.stopTimeout > ECS_LIMITS.fargateMaxStopTimeout
  )
    problems.push({
      path: at('stopTimeout'),
      message: `Fargate allows at most ${ECS_LIMITS.fargateMaxStopTimeout} seconds, got ${container.stopTimeout}`,
    });

  listOf(container.dependsOn).forEach((dependency, i) => {
    if (!isObject(dependency) || typeof dependency.containerName !== 'string') return;
    if (dependency.containerName === container.name)
      problems.push({
        path: at('dependsOn', i, 'containerName'),
        message: 'a container cannot depend on itself',
      });
    else if (!names.has(dependency.containerName))
      problems.push({
        path: at('dependsOn', i, 'containerName'),
        message: `no container named ${JSON.stringify(dependency.containerName)} in this task definition`,
      });
  });
  listOf(container.volumesFrom).forEach((from, i) => {
    if (isObject(from) && typeof from.sourceContainer === 'string' && !names.has(from.sourceContainer))
      problems.push({
        path: at('volumesFrom', i, 'sourceContainer'),
        message: `no container named ${JSON.stringify(from.sourceContainer)} in this task definition`,
      });
  });
  listOf(container.mountPoints).forEach((mount, i) => {
    if (isObject(mount) && typeof mount.sourceVolume === 'string' && !volumes.has(mount.sourceVolume))
      problems.push({
        path: at('mountPoints', i, 'sourceVolume'),
        message: `no volume named ${JSON.stringify(mount.sourceVolume)} in the task's volumes`,
      });
  });
}

/**
 * Checks a RegisterTaskDefinition request against {@link ECS_LIMITS} and the cross-references ECS
 * resolves on register (unique names, dependsOn/volumesFrom/mountPoints targets, one essential
 * container, Fargate's network mode, task size and execution role). Assumes nothing about types:
 * fields of the wrong type are left to the model validator.
 */
export function checkEcsLimits(request: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!isObject(request)) return problems;

  if (typeof request.family === 'string' && !ECS_LIMITS.familyPattern.test(request.family))
    problems.push({
      path: 'family',
      message: 'family names are 1 to 255 letters, digits, underscores (_) and hyphens (-)',
    });

  const containers = listOf(request.containerDefinitions);
  if (Array.isArray(request.containerDefinitions) && containers.length === 0)
    problems.push({
      path: 'containerDefinitions',
      message: 'a task definition needs at least one container',
    });
  if (containers.length > ECS_LIMITS.maxContainers)
    problems.push({
      path: 'containerDefinitions',
      message: `at most ${ECS_LIMITS.maxContainers} containers per task definition (ECS limit); this one has ${containers.length}`,
    });

  const volumes = new Set<string>();
  listOf(request.volumes).forEach((volume, i) => {
    if (!isObject(volume) || typeof volume.name !== 'string') return;
    if (volumes.has(volume.name))
      problems.push({
        path: formatPath(['volumes', i, 'name']),
        message: `duplicate volume name ${JSON.stringify(volume.name)}`,
      });
    volumes.add(volume.name);
  });

  const names = new Set<string>();
  containers.forEach((container, i) => {
    if (!isObject(container) || typeof container.name !== 'string') return;
    if (names.has(container.name))
      problems.push({
        path: formatPath(['containerDefinitions', i, 'name']),
        message: `duplicate container name ${JSON.stringify(container.name)}`,
      });
    names.add(container.name);
  });

  const compatibilities = listOf(request.requiresCompatibilities);
  const fargate = compatibilities.includes('FARGATE');
  containers.forEach((container, i) => {
    if (isObject(container))
      checkContainer(problems, container, i, { names, volumes, fargate, networkMode: request.networkMode });
  });
  if (isObject(request.proxyConfiguration)) {
    const proxy = request.proxyConfiguration.containerName;
    if (typeof proxy === 'string' && !names.has(proxy))
      problems.push({
        path: 'proxyConfiguration.containerName',
        message: `no container named ${JSON.stringify(proxy)} in this task definition`,
      });
  }
  if (containers.length > 0 && containers.every((c) => isObject(c) && c.essential === false))
    problems.push({ path: 'containerDefinitions', message: 'at least one container must be essential' });

  if (fargate) {
    if (request.networkMode !== 'awsvpc')
      problems.push({
        path: 'networkMode',
        message: `Fargate requires networkMode "awsvpc", got ${request.networkMode === undefined ? 'none set' : JSON.stringify(request.networkMode)}`,
      });
    for (const key of ['cpu', 'memory'] as const)
      if (request[key] === undefined)
        problems.push({ path: key, message: 'required for Fargate (task-level size)' });
    const usesAwslogs = containers.some(
      (c) => isObject(c) && isObject(c.logConfiguration) && c.logConfiguration.logDriver === 'awslogs',
    );
    if (usesAwslogs && request.executionRoleArn === undefined)
      problems.push({
        path: 'executionRoleArn',
        message:
          'required for Fargate when a container logs with awslogs (the agent needs it to write the logs)',
      });
    if (isObject(request.ephemeralStorage))
      checkRange(
        problems,
        ['ephemeralStorage', 'sizeInGiB'],
        request.ephemeralStorage.sizeInGiB,
        ECS_LIMITS.ephemeralStorageGiB,
        'ephemeral storage (GiB)',
      );
  }

  checkTags(problems, request.tags);

  const bytes =
    jsonBytesUpperBound(request) > ECS_LIMITS.maxRequestBytes
      ? Buffer.byteLength(JSON.stringify(request), 'utf8')
      : 0;
  if (bytes > ECS_LIMITS.maxRequestBytes)
    problems.push({
      path: '$',
      message: `the task definition is ${bytes} bytes of JSON; ECS accepts at most ${ECS_LIMITS.maxRequestBytes} (64 KiB)`,
    });
  return problems;
}
