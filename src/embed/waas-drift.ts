import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { EmbedConfig } from './config.js';
import { StripError } from './errors.js';
import { DEFENDER_LABEL, readRecord, WRAPPED_LABEL, WrappedRecordSchema } from './marker.js';
import { stripProtection } from './strip.js';
import { planWaasPorts } from './waas-ports.js';
import { chooseWrapTargets } from './wrap-targets.js';

/** What the WAAS port hand-over of a protected definition is: who gave which mappings to which port. */
interface WaasState {
  container: string;
  removed: number[];
  exposedPort: number;
}

function actualState(request: RegisterTaskDefinitionRequest): WaasState | undefined {
  const sidecar = request.containerDefinitions.find((c) => c.dockerLabels?.[DEFENDER_LABEL] !== undefined);
  const exposedPort = sidecar?.portMappings?.[0]?.containerPort;
  for (const container of request.containerDefinitions) {
    const record = readRecord(container, WRAPPED_LABEL, WrappedRecordSchema);
    if (record?.removedPortMappings === undefined) continue;
    return {
      container: container.name ?? '',
      removed: record.removedPortMappings.map((r) => r.index),
      exposedPort: exposedPort ?? 0,
    };
  }
  return exposedPort === undefined ? undefined : { container: '', removed: [], exposedPort };
}

const same = (a: WaasState | undefined, b: WaasState | undefined) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Why a definition protected by the current embed version must be re-embedded for the WAAS
 * option, if it must: WAAS was turned on or off, or its ports or container changed since. Without
 * this, turning WAAS on would leave every already-protected definition without it. Compares the
 * hand-over recorded in the definition with what the transform would do now to the definition
 * stripped of its protection; a task that now could not get WAAS (a collision)
 * is left as it is, so a protected definition is never rejected for it.
 */
export function waasDrift(request: RegisterTaskDefinitionRequest, config: EmbedConfig): string | undefined {
  const actual = actualState(request);
  if (actual === undefined && !config.waas.enabled) return undefined;
  let original: RegisterTaskDefinitionRequest;
  try {
    original = stripProtection(request);
  } catch (error) {
    // A marker strip cannot read is not this check's to report: leave the definition as it is.
    if (error instanceof StripError) return undefined;
    throw error;
  }
  const plan = planWaasPorts(original, config.waas, chooseWrapTargets(original, config).wrap);
  if (plan.kind === 'reject') return undefined;
  const wanted =
    plan.kind === 'apply'
      ? {
          container: original.containerDefinitions[plan.container]?.name ?? '',
          removed: plan.remove,
          exposedPort: plan.sidecarMapping.containerPort ?? 0,
        }
      : undefined;
  if (same(actual, wanted)) return undefined;
  if (wanted === undefined) return 're-embedded: WAAS is off for it now';
  if (actual === undefined) return `re-embedded: WAAS now takes "${wanted.container}"'s web port`;
  return 're-embedded: its WAAS ports changed';
}
