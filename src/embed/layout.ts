import type { HealthCheck } from '../taskdef/types.js';

/**
 * The task layout agreed in CONVENTIONS.md ("Task layout produced by the embed transform"): the
 * launcher, the sidecar agent and the transform all build on these names, so they live in one place.
 */

/** Default name of the defender sidecar container (configurable: `sidecarName`). */
export const DEFAULT_SIDECAR_NAME = 'ecs-admission-defender';

/** Task volume holding the launcher binary, the compiled policies and the ready file. */
export const DEFENDER_VOLUME = 'ecs-admission-defender';
export const DEFENDER_PATH = '/ecs-admission';
/** Task volume the launchers append audits to and the agent tails. */
export const AUDIT_VOLUME = 'ecs-admission-audit';
export const AUDIT_PATH = '/ecs-admission-audit';

/** The static launcher every wrapped container starts through. */
export const LAUNCHER_PATH = `${DEFENDER_PATH}/bin/launcher`;

/** Environment the transform gives each wrapped app container (read by the launcher). */
export const APP_ENV = {
  container: 'ECS_ADMISSION_CONTAINER',
  image: 'ECS_ADMISSION_IMAGE',
  family: 'ECS_ADMISSION_FAMILY',
  policyFile: 'ECS_ADMISSION_POLICY_FILE',
  auditFile: 'ECS_ADMISSION_AUDIT_FILE',
} as const;

/** Environment the transform gives the sidecar (read by the agent). */
export const SIDECAR_ENV = {
  policyUrl: 'ECS_ADMISSION_POLICY_URL',
  token: 'ECS_ADMISSION_TOKEN',
  family: 'ECS_ADMISSION_FAMILY',
  containers: 'ECS_ADMISSION_CONTAINERS',
} as const;

/** The one capability the launcher needs; the only one Fargate lets a task add. */
export const PTRACE_CAPABILITY = 'SYS_PTRACE';

/** Where the agent writes a container's compiled policy. */
export function policyFileFor(container: string): string {
  return `${DEFENDER_PATH}/policy/${container}.json`;
}

/** Where the launcher in a container appends its audits. */
export function auditFileFor(container: string): string {
  return `${AUDIT_PATH}/${container}.ndjson`;
}

/** The sidecar's health check: healthy once the agent has fetched every app container's policy once. */
export function sidecarHealthCheck(): HealthCheck {
  return {
    command: ['CMD', LAUNCHER_PATH, '--ready-check'],
    interval: 5,
    timeout: 2,
    retries: 3,
    startPeriod: 10,
  };
}
