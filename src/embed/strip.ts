import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import { canonicalRequest } from './canonical.js';
import { cloneJson } from './clone.js';
import { StripError } from './errors.js';
import {
  DEFENDER_LABEL,
  DefenderRecordSchema,
  readRecord,
  WRAPPED_LABEL,
  type WrappedRecord,
  WrappedRecordSchema,
} from './marker.js';

function without<T>(list: readonly T[] | undefined, drop: (item: T) => boolean): T[] | undefined {
  return list?.filter((item) => !drop(item));
}

function restoreContainer(wrapped: ContainerDefinition, record: WrappedRecord): ContainerDefinition {
  const c = cloneJson(wrapped);
  const created = new Set(record.created);
  // Members the transform created go away only when nothing else was added to them since.
  const settle = <K extends keyof ContainerDefinition>(key: K, value: ContainerDefinition[K] | undefined) => {
    const empty = Array.isArray(value)
      ? value.length === 0
      : value !== undefined && Object.keys(value).length === 0;
    if (value === undefined || (empty && created.has(key as never))) delete c[key];
    else c[key] = value;
  };

  if (record.entryPoint !== undefined) c.entryPoint = record.entryPoint;
  else delete c.entryPoint;
  if (record.command !== undefined) c.command = record.command;
  else delete c.command;
  if (record.image !== undefined) c.image = record.image;
  // Ascending indices: each mapping goes back where it was in the original list.
  for (const { index, mapping } of record.removedPortMappings ?? []) {
    const mappings = c.portMappings ?? [];
    mappings.splice(index, 0, mapping);
    c.portMappings = mappings;
  }

  settle(
    'environment',
    without(c.environment, (e) => record.environment.includes(e.name ?? '')),
  );
  settle(
    'mountPoints',
    without(c.mountPoints, (m) => record.mountPoints.includes(m.sourceVolume ?? '')),
  );
  settle(
    'dependsOn',
    without(c.dependsOn, (d) => record.dependsOn.includes(d.containerName)),
  );

  const linux = c.linuxParameters;
  const capabilities = linux?.capabilities;
  if (capabilities?.add !== undefined) {
    capabilities.add = capabilities.add.filter((cap) => !record.capabilities.includes(cap));
    if (capabilities.add.length === 0 && created.has('linuxParameters.capabilities.add'))
      delete capabilities.add;
  }
  if (
    linux &&
    capabilities &&
    Object.keys(capabilities).length === 0 &&
    created.has('linuxParameters.capabilities')
  )
    delete linux.capabilities;
  settle('linuxParameters', linux);

  const labels = { ...c.dockerLabels };
  delete labels[WRAPPED_LABEL];
  settle('dockerLabels', labels);
  return c;
}

/**
 * Undoes the transform: the sidecar, its volumes and tags go, each wrapped container gets back its
 * original entryPoint/command/image and loses exactly what was added (the records in the labels
 * say what), and the task gets back its original cpu/memory. A definition without the defender
 * sidecar is returned as it is. The result is in canonical form (as the input parser writes it),
 * so strip(embed(x)) equals x as parsed, byte for byte.
 * @throws StripError when a marker label is malformed.
 */
export function stripProtection(request: RegisterTaskDefinitionRequest): RegisterTaskDefinitionRequest {
  const sidecarIndex = request.containerDefinitions.findIndex(
    (c) => c.dockerLabels?.[DEFENDER_LABEL] !== undefined,
  );
  const sidecar = request.containerDefinitions[sidecarIndex];
  if (sidecar === undefined) return cloneJson(request);
  const record = readRecord(sidecar, DEFENDER_LABEL, DefenderRecordSchema);
  if (record === undefined) {
    throw new StripError(
      `containerDefinitions[${sidecarIndex}].dockerLabels["${DEFENDER_LABEL}"]`,
      `the defender sidecar's ${DEFENDER_LABEL} label is not a valid ecs-admission marker; restore it or re-embed from the original task definition`,
    );
  }

  const out = cloneJson(request);
  out.containerDefinitions = [];
  request.containerDefinitions.forEach((container, i) => {
    if (i === sidecarIndex) return;
    if (container.dockerLabels?.[WRAPPED_LABEL] === undefined) {
      out.containerDefinitions.push(cloneJson(container));
      return;
    }
    const wrapped = readRecord(container, WRAPPED_LABEL, WrappedRecordSchema);
    if (wrapped === undefined) {
      throw new StripError(
        `containerDefinitions[${i}].dockerLabels["${WRAPPED_LABEL}"]`,
        `container "${container.name ?? ''}" has a malformed ${WRAPPED_LABEL} label; restore it or re-embed from the original task definition`,
      );
    }
    out.containerDefinitions.push(restoreContainer(container, wrapped));
  });

  const created = new Set(record.created);
  const volumes = out.volumes?.filter((v) => !record.volumes.includes(v.name ?? ''));
  if (volumes === undefined || (volumes.length === 0 && created.has('volumes'))) delete out.volumes;
  else out.volumes = volumes;
  const tags = out.tags?.filter((t) => !record.tags.includes(t.key ?? ''));
  if (tags === undefined || (tags.length === 0 && created.has('tags'))) delete out.tags;
  else out.tags = tags;
  if (record.cpu === null) delete out.cpu;
  else if (record.cpu !== undefined) out.cpu = record.cpu;
  if (record.memory === null) delete out.memory;
  else if (record.memory !== undefined) out.memory = record.memory;

  return canonicalRequest(out);
}
