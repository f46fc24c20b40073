import type { Action } from '../embed/decision.js';
import { matchesAny } from './name-patterns.js';
import type { ServiceTargets } from './waas-retarget.js';

export type Mode = 'enforce' | 'audit' | 'off';

export interface Exclusions {
  families: readonly string[];
  clusters: readonly string[];
  services: readonly string[];
}

/** Why a family/cluster/service is excluded by configuration, or undefined when it is not. */
export function exclusionReason(
  target: { family?: string | undefined; cluster?: string | undefined; service?: string | undefined },
  exclusions: Exclusions,
): string | undefined {
  const checks: [string | undefined, readonly string[], string][] = [
    [target.family, exclusions.families, 'family'],
    [target.cluster, exclusions.clusters, 'cluster'],
    [target.service, exclusions.services, 'service'],
  ];
  for (const [name, patterns, what] of checks) {
    if (name === undefined) continue;
    const hit = matchesAny(name, patterns);
    if (hit !== undefined) return `${what} "${name}" is excluded by the pattern "${hit}"`;
  }
  return undefined;
}

/** A service as the controller sees it after DescribeServices. */
export interface ServiceView {
  cluster: string;
  serviceName: string;
  serviceArn: string;
  taskDefinition: string | undefined;
  /** `ECS` (default), `CODE_DEPLOY` or `EXTERNAL`. */
  deploymentController: string;
  /** Its load balancers and service registries, when it has any (they name a container and port). */
  targets?: ServiceTargets | undefined;
}

export interface ServiceMoveInput {
  service: ServiceView;
  sourceArn: string;
  /** The protected twin; undefined in audit mode before anything was registered. */
  protectedArn: string | undefined;
  mode: Mode;
  exclusions: Exclusions;
  /** The circuit breaker rolled this service back from the protected revision before. */
  rolledBack: boolean;
}

/** The action for one service and whether UpdateService must be called (enforce mode only). */
export interface ServiceMovePlan {
  action: Action;
  update: boolean;
}

/**
 * Decides what to do with a service that may run an unprotected revision. Pure: the caller
 * makes the UpdateService call when `update` is true and records its result in the action.
 */
export function planServiceMove(input: ServiceMoveInput): ServiceMovePlan {
  const { service, sourceArn, protectedArn, mode } = input;
  const target = service.serviceArn;
  const twin = protectedArn ?? 'its protected revision';
  const skip = (detail: string): ServiceMovePlan => ({
    action: { kind: 'update-service', target, result: 'skipped', detail },
    update: false,
  });
  const excluded = exclusionReason(
    { cluster: service.cluster, service: service.serviceName },
    input.exclusions,
  );
  if (excluded) return skip(excluded);
  if (service.taskDefinition !== sourceArn) {
    return skip(`the service now runs ${service.taskDefinition ?? 'no task definition'}, not ${sourceArn}`);
  }
  if (input.rolledBack) {
    return {
      action: {
        kind: 'needs-action',
        target,
        result: mode === 'enforce' ? 'done' : 'planned',
        detail: `the circuit breaker rolled the service back from ${twin}; not retrying (that would loop): fix why it fails to start, then deploy ${twin}`,
      },
      update: false,
    };
  }
  if (service.deploymentController === 'CODE_DEPLOY' || service.deploymentController === 'EXTERNAL') {
    const how =
      service.deploymentController === 'CODE_DEPLOY'
        ? 'create a CodeDeploy deployment with'
        : 'create a task set (external controller) with';
    return {
      action: {
        kind: 'needs-action',
        target,
        result: mode === 'enforce' ? 'done' : 'planned',
        detail: `deployment controller ${service.deploymentController} cannot be moved with UpdateService: ${how} ${twin}`,
      },
      update: false,
    };
  }
  if (mode !== 'enforce') {
    return {
      action: { kind: 'update-service', target, result: 'planned', detail: `move to ${twin}` },
      update: false,
    };
  }
  return {
    action: { kind: 'update-service', target, result: 'done', detail: `moved to ${twin}` },
    update: true,
  };
}

export interface TaskStopInput {
  taskArn: string;
  startedBy: string | undefined;
  group: string | undefined;
  sourceArn: string;
  protectedArn: string | undefined;
  mode: Mode;
}

/** The StopTask reason: it names the revision to use instead (ECS shows it to whoever looks). */
export function stopReason(sourceArn: string, protectedArn: string | undefined): string {
  const rev = sourceArn.split('/').pop() ?? sourceArn;
  const twin = protectedArn?.split('/').pop();
  return twin
    ? `ecs-admission: ${rev} is not protected; run ${twin} instead`
    : `ecs-admission: ${rev} is not protected`;
}

/**
 * Decides what to do with a task started from an unprotected revision: a running task cannot be
 * changed, so enforce stops it unless a service started it (the service is moved instead).
 */
export function planTaskStop(input: TaskStopInput): { action: Action; stop: boolean; reason: string } {
  const reason = stopReason(input.sourceArn, input.protectedArn);
  const target = input.taskArn;
  if (input.startedBy?.startsWith('ecs-svc/') || input.group?.startsWith('service:')) {
    return {
      action: {
        kind: 'stop-task',
        target,
        result: 'skipped',
        detail: 'started by a service, which is moved instead',
      },
      stop: false,
      reason,
    };
  }
  if (input.mode !== 'enforce') {
    return { action: { kind: 'stop-task', target, result: 'planned', detail: reason }, stop: false, reason };
  }
  return { action: { kind: 'stop-task', target, result: 'done', detail: reason }, stop: true, reason };
}

/** Whether the source revision may be deregistered: option on, enforce, and no service runs it. */
export function planDeregister(input: {
  enabled: boolean;
  mode: Mode;
  sourceArn: string;
  servicesStillOnSource: number;
}): Action | undefined {
  if (!input.enabled) return undefined;
  if (input.servicesStillOnSource > 0) {
    return {
      kind: 'deregister-task-definition',
      target: input.sourceArn,
      result: 'skipped',
      detail: `${input.servicesStillOnSource} service(s) still run it`,
    };
  }
  return {
    kind: 'deregister-task-definition',
    target: input.sourceArn,
    result: input.mode === 'enforce' ? 'done' : 'planned',
    detail: 'no service runs it any more; deregistered so nobody can start it again',
  };
}
