import type { ContainerDefinition, KeyValuePair, MountPoint } from '../taskdef/types.js';
import { cloneJson } from './clone.js';
import type { Change } from './decision.js';
import {
  APP_ENV,
  AUDIT_PATH,
  AUDIT_VOLUME,
  auditFileFor,
  DEFENDER_PATH,
  DEFENDER_VOLUME,
  LAUNCHER_PATH,
  PTRACE_CAPABILITY,
  policyFileFor,
} from './layout.js';
import { type ContainerMember, EMBED_VERSION, WRAPPED_LABEL, type WrappedRecord } from './marker.js';

/** What wrapping one container needs besides the container itself. */
export interface WrapContext {
  /** Index in containerDefinitions (for change paths). */
  index: number;
  family: string;
  sidecarName: string;
  /** The container's effective command line (Docker's merge rule applied). */
  argv: readonly string[];
  /** Where the command line came from, in words (`entryPoint + command`, `image ENTRYPOINT + CMD`). */
  origin: string;
  /** When set, the image is rewritten to this digest-pinned reference. */
  pinnedImage?: string;
  /** Indices (ascending) of port mappings handed to the WAAS proxy on the sidecar. */
  removePortMappings?: readonly number[];
}

/**
 * Wraps one app container: it starts through the launcher with its effective command line, gets
 * the launcher's environment, the two task volumes, SYS_PTRACE and a HEALTHY dependency on the
 * sidecar. Everything else is left as it was, and every addition is recorded in the container's
 * {@link WRAPPED_LABEL} so strip can restore the original exactly.
 */
export function wrapContainer(
  original: ContainerDefinition,
  ctx: WrapContext,
): { container: ContainerDefinition; changes: Change[] } {
  const name = original.name ?? '';
  const at = `containerDefinitions[${ctx.index}]`;
  const container = cloneJson(original);
  const created: ContainerMember[] = [];
  const changes: Change[] = [];

  const record: WrappedRecord = {
    version: EMBED_VERSION,
    ...(original.entryPoint !== undefined ? { entryPoint: original.entryPoint } : {}),
    ...(original.command !== undefined ? { command: original.command } : {}),
    ...(ctx.pinnedImage !== undefined ? { image: original.image } : {}),
    created,
    environment: [],
    mountPoints: [],
    dependsOn: [],
    capabilities: [],
  };

  container.entryPoint = [LAUNCHER_PATH, '--', ...ctx.argv];
  delete container.command;
  changes.push({
    kind: 'wrap-command',
    path: `${at}.entryPoint`,
    message: `"${name}" starts through the defender launcher, which runs ${JSON.stringify(ctx.argv[0] ?? '')} with ${ctx.argv.length - 1} argument(s) from ${ctx.origin}${original.command === undefined ? '' : '; command moved into entryPoint'}`,
  });
  if (original.entryPoint !== undefined && original.entryPoint.length === 0) {
    changes.push({
      kind: 'note',
      path: `${at}.entryPoint`,
      message: `"${name}" had entryPoint [], which ECS treats as unset: the image ENTRYPOINT applied, and still does under the launcher`,
    });
  }

  if (ctx.pinnedImage !== undefined) {
    container.image = ctx.pinnedImage;
    changes.push({
      kind: 'pin-image',
      path: `${at}.image`,
      message: `"${name}" image pinned to the digest its command line was read from`,
    });
  }

  const env: KeyValuePair[] = [
    { name: APP_ENV.container, value: name },
    { name: APP_ENV.image, value: original.image ?? '' },
    { name: APP_ENV.family, value: ctx.family },
    { name: APP_ENV.policyFile, value: policyFileFor(name) },
    { name: APP_ENV.auditFile, value: auditFileFor(name) },
  ];
  if (container.environment === undefined) created.push('environment');
  container.environment = [...(container.environment ?? []), ...env];
  record.environment = env.map((e) => e.name ?? '');
  changes.push({
    kind: 'add-environment',
    path: `${at}.environment`,
    message: `"${name}" gets ${record.environment.join(', ')} for the launcher`,
  });

  const mounts: MountPoint[] = [
    { sourceVolume: DEFENDER_VOLUME, containerPath: DEFENDER_PATH, readOnly: true },
    { sourceVolume: AUDIT_VOLUME, containerPath: AUDIT_PATH, readOnly: false },
  ];
  if (container.mountPoints === undefined) created.push('mountPoints');
  container.mountPoints = [...(container.mountPoints ?? []), ...mounts];
  record.mountPoints = [DEFENDER_VOLUME, AUDIT_VOLUME];
  changes.push({
    kind: 'add-mount',
    path: `${at}.mountPoints`,
    message: `"${name}" mounts ${DEFENDER_VOLUME} read-only at ${DEFENDER_PATH} and ${AUDIT_VOLUME} at ${AUDIT_PATH}`,
  });

  if (container.linuxParameters === undefined) created.push('linuxParameters');
  const linux = container.linuxParameters ?? {};
  container.linuxParameters = linux;
  if (linux.capabilities === undefined) created.push('linuxParameters.capabilities');
  const capabilities = linux.capabilities ?? {};
  linux.capabilities = capabilities;
  if (capabilities.add === undefined) created.push('linuxParameters.capabilities.add');
  const add = capabilities.add ?? [];
  capabilities.add = add;
  if (!add.includes(PTRACE_CAPABILITY)) {
    add.push(PTRACE_CAPABILITY);
    record.capabilities = [PTRACE_CAPABILITY];
    changes.push({
      kind: 'add-capability',
      path: `${at}.linuxParameters.capabilities.add`,
      message: `"${name}" gets ${PTRACE_CAPABILITY} so the launcher can follow the processes it starts`,
    });
  }

  if (container.dependsOn === undefined) created.push('dependsOn');
  container.dependsOn = [
    ...(container.dependsOn ?? []),
    { containerName: ctx.sidecarName, condition: 'HEALTHY' },
  ];
  record.dependsOn = [ctx.sidecarName];
  changes.push({
    kind: 'add-dependency',
    path: `${at}.dependsOn`,
    message: `"${name}" starts once "${ctx.sidecarName}" is HEALTHY (its policy is in place)`,
  });

  const removed = ctx.removePortMappings ?? [];
  if (removed.length > 0) {
    const mappings = original.portMappings ?? [];
    record.removedPortMappings = removed.map((index) => ({ index, mapping: mappings[index] ?? {} }));
    // The member stays (possibly empty), so strip has a list to put the mappings back into.
    container.portMappings = mappings.filter((_, j) => !removed.includes(j));
  }

  if (container.dockerLabels === undefined) created.push('dockerLabels');
  container.dockerLabels = { ...(container.dockerLabels ?? {}), [WRAPPED_LABEL]: JSON.stringify(record) };
  changes.push({
    kind: 'add-label',
    path: `${at}.dockerLabels[${JSON.stringify(WRAPPED_LABEL)}]`,
    message: `"${name}" records its original command line and the additions, so the protection can be undone exactly`,
  });
  return { container, changes };
}

/**
 * `name@sha256:...` for an image reference: the tag and any digest already there are replaced.
 * A colon after the last slash starts a tag; one before it belongs to a registry port.
 */
export function pinImage(image: string, digest: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const colon = withoutDigest.lastIndexOf(':');
  const repository = colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
  return `${repository}@${digest}`;
}
