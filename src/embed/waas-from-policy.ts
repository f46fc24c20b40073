import type { CompiledWaas } from '../policy/compiled-policy.js';
import type { WaasOption } from './config.js';

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
