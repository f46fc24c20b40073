import type { CompiledWaas } from '../policy/compiled-policy.js';
import type { MatchTarget } from '../policy/match.js';
import type { EmbedConfig, WaasOption } from './config.js';

/**
 * The embed option a task's compiled `waas` policy section asks for, so that a caller holding
 * the rules (the policy service's embed route, the admission controller) can let the policy turn
 * WAAS on: `alert`/`prevent` with an exposed port enables it on that port (and the section's app
 * port, if set); `disable` turns it off. Without a section, or without an exposed port in it,
 * `base` (the embed configuration's own option) stands. The agent reads the same ports from the
 * same section, so the task's port mapping and the proxy agree.
 */
export function waasOptionFromPolicy(waas: CompiledWaas | undefined, base: WaasOption): WaasOption {
  if (waas === undefined) return base;
  if (waas.effect === 'disable') return { ...base, enabled: false };
  if (waas.exposedPort === undefined) return base;
  return {
    ...base,
    enabled: true,
    exposedPort: waas.exposedPort,
    ...(waas.appPort !== undefined ? { appPort: waas.appPort } : {}),
  };
}

/** One app container as the policy sees it (rules match its name and image). */
export interface PolicyContainer {
  name: string;
  image?: string | undefined;
}

/**
 * The embed option for a whole task from its containers' compiled policies: the first container
 * whose policy enables WAAS (alert or prevent, with an exposed port) decides the ports; when none
 * does and one's policy says `disable`, WAAS is off; when no policy has a section, `base` stands.
 * The container is not pinned: the transform protects the one that maps the app port.
 */
export function waasOptionForTask(
  containers: readonly PolicyContainer[],
  waasFor: (container: PolicyContainer) => CompiledWaas | undefined,
  base: WaasOption,
): WaasOption {
  let disabled: CompiledWaas | undefined;
  for (const container of containers) {
    const waas = waasFor(container);
    if (waas === undefined) continue;
    if (waas.effect !== 'disable' && waas.exposedPort !== undefined) return waasOptionFromPolicy(waas, base);
    if (waas.effect === 'disable') disabled ??= waas;
  }
  return waasOptionFromPolicy(disabled, base);
}

/** The rules as the policy service holds them (`PolicyView`): the compiled policy of one container. */
export interface ContainerPolicies {
  policyFor(target: MatchTarget): { policy: { waas?: CompiledWaas | undefined } };
}

/**
 * {@link waasOptionForTask} for a task definition: its containers other than the defender sidecar
 * (an already protected input has one) are looked up under its family, by name and image.
 */
export function waasOptionForTaskDefinition(
  taskDefinition: {
    family?: string | undefined;
    containerDefinitions?: readonly { name?: string | undefined; image?: string | undefined }[] | undefined;
  },
  config: Pick<EmbedConfig, 'sidecarName' | 'waas'>,
  policies: ContainerPolicies,
): WaasOption {
  const family = taskDefinition.family;
  if (!family) return config.waas;
  const containers = (taskDefinition.containerDefinitions ?? [])
    .filter(
      (c): c is { name: string; image?: string } =>
        typeof c.name === 'string' && c.name !== config.sidecarName,
    )
    .map((c) => ({ name: c.name, image: c.image }));
  return waasOptionForTask(
    containers,
    (c) => policies.policyFor({ family, container: c.name, image: c.image }).policy.waas,
    config.waas,
  );
}
