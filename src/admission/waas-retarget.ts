import type { LoadBalancer, ServiceRegistry } from '@aws-sdk/client-ecs';
import { DEFENDER_LABEL, readRecord, WRAPPED_LABEL, WrappedRecordSchema } from '../embed/marker.js';

/** What the hand-over needs of a container (the SDK's and the transform's types both fit). */
export interface TwinContainer {
  name?: string | undefined;
  dockerLabels?: Record<string, string> | undefined;
  portMappings?: { containerPort?: number | undefined }[] | undefined;
}

/** Where a service sends traffic: its load balancers and service registries. */
export interface ServiceTargets {
  loadBalancers?: LoadBalancer[] | undefined;
  serviceRegistries?: ServiceRegistry[] | undefined;
}

/** The same targets pointed at the WAAS proxy, and what moved (for the decision). */
export interface Retargeted {
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  moved: string[];
}

/**
 * When the protected twin gave an app container's port to the WAAS proxy, the service's load
 * balancers and service registries that named that container and port must name the sidecar and
 * the exposed port instead: ECS refuses a service whose target port the task definition does not
 * map, and the traffic must go through the proxy anyway. Reads the hand-over from the twin's
 * markers (which mappings the app lost, which port the sidecar took). Pure; `undefined` when
 * nothing targets a moved port.
 */
export function retargetForWaas(
  targets: ServiceTargets,
  twinContainers: readonly TwinContainer[],
): Retargeted | undefined {
  const sidecar = twinContainers.find((c) => c.dockerLabels?.[DEFENDER_LABEL] !== undefined);
  const exposedPort = sidecar?.portMappings?.[0]?.containerPort;
  if (!sidecar?.name || exposedPort === undefined) return undefined;
  const removed = new Map<string, Set<number>>();
  for (const container of twinContainers) {
    const record = readRecord(container, WRAPPED_LABEL, WrappedRecordSchema);
    const ports = (record?.removedPortMappings ?? [])
      .map((r) => r.mapping.containerPort)
      .filter((p): p is number => p !== undefined && p !== null);
    if (container.name && ports.length > 0) removed.set(container.name, new Set(ports));
  }
  const moved: string[] = [];
  const retarget = <T extends { containerName?: string | undefined; containerPort?: number | undefined }>(
    entry: T,
  ): T => {
    const ports = entry.containerName === undefined ? undefined : removed.get(entry.containerName);
    if (entry.containerPort === undefined || !ports?.has(entry.containerPort)) return entry;
    moved.push(`${entry.containerName}:${entry.containerPort} -> ${sidecar.name}:${exposedPort}`);
    return { ...entry, containerName: sidecar.name, containerPort: exposedPort };
  };
  const loadBalancers = (targets.loadBalancers ?? []).map(retarget);
  const serviceRegistries = (targets.serviceRegistries ?? []).map(retarget);
  return moved.length === 0 ? undefined : { loadBalancers, serviceRegistries, moved };
}
