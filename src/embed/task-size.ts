import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { Change, Problem } from './decision.js';
import {
  FARGATE_SIZES,
  isFargateSize,
  parseCpuUnits,
  parseMemoryMiB,
  smallestFargateSize,
  type TaskSize,
} from './fargate-size.js';

/** The task size the protected definition gets: new cpu/memory strings only where they change. */
export type SizePlan =
  | { ok: true; cpu?: string; memory?: string; changes: Change[] }
  | { ok: false; problems: Problem[] };

/** What the containers need together, the sidecar included. */
function needed(containers: readonly ContainerDefinition[]): TaskSize {
  let cpu = 0;
  let memory = 0;
  let largestHardLimit = 0;
  for (const c of containers) {
    cpu += c.cpu ?? 0;
    // ECS sums each container's reservation (its soft limit, else its hard limit) against the
    // task memory, and no hard limit may exceed the task memory on its own.
    memory += c.memoryReservation ?? c.memory ?? 0;
    largestHardLimit = Math.max(largestHardLimit, c.memory ?? 0);
  }
  return { cpu, memory: Math.max(memory, largestHardLimit) };
}

const LARGEST = FARGATE_SIZES[FARGATE_SIZES.length - 1];

/**
 * Makes the task big enough for its containers plus the sidecar (`containers` includes it).
 * Fargate: the result is the smallest valid Fargate cpu/memory combination that holds them and is
 * no smaller than the task's own size, or a rejection when `resize` is off. EC2 (opt-in): task
 * size is optional there; when set it is raised to what the containers reserve.
 */
export function planTaskSize(
  request: RegisterTaskDefinitionRequest,
  containers: readonly ContainerDefinition[],
  options: { fargate: boolean; resize: boolean },
): SizePlan {
  const problems: Problem[] = [];
  const cpu = request.cpu === undefined ? undefined : parseCpuUnits(request.cpu);
  const memory = request.memory === undefined ? undefined : parseMemoryMiB(request.memory);
  if (request.cpu !== undefined && cpu === undefined) {
    problems.push({
      path: 'cpu',
      message: `"${request.cpu}" is not a CPU size; write CPU units ("512") or vCPUs ("0.5 vCPU")`,
    });
  }
  if (request.memory !== undefined && memory === undefined) {
    problems.push({
      path: 'memory',
      message: `"${request.memory}" is not a memory size; write MiB ("1024") or GB ("1 GB")`,
    });
  }
  if (problems.length > 0) return { ok: false, problems };

  const need = needed(containers);
  const current = { cpu, memory };
  const fits = (cpu === undefined || need.cpu <= cpu) && (memory === undefined || need.memory <= memory);

  let target: { cpu?: number; memory?: number };
  let why: string;
  if (options.fargate) {
    const valid = cpu !== undefined && memory !== undefined && isFargateSize({ cpu, memory });
    if (valid && fits) return { ok: true, changes: [] };
    why =
      cpu === undefined || memory === undefined
        ? 'Fargate needs a task cpu and memory'
        : !isFargateSize({ cpu, memory })
          ? `cpu ${cpu} with memory ${memory} MiB is not a Fargate task size`
          : `the containers with the defender sidecar need ${need.cpu} CPU units and ${need.memory} MiB`;
    const smallest = smallestFargateSize({
      cpu: Math.max(need.cpu, cpu ?? 0),
      memory: Math.max(need.memory, memory ?? 0),
    });
    if (smallest === undefined) {
      return {
        ok: false,
        problems: [
          {
            path: 'cpu',
            message: `the containers with the defender sidecar need ${need.cpu} CPU units and ${need.memory} MiB, more than the largest Fargate task (${LARGEST?.cpu} CPU units, ${LARGEST?.memory.at(-1)} MiB); lower the containers' cpu/memory`,
          },
        ],
      };
    }
    target = smallest;
  } else {
    if (fits) return { ok: true, changes: [] };
    why = `the containers with the defender sidecar need ${need.cpu} CPU units and ${need.memory} MiB`;
    target = {
      cpu: cpu === undefined ? undefined : Math.max(cpu, need.cpu),
      memory: memory === undefined ? undefined : Math.max(memory, need.memory),
    };
  }

  if (!options.resize) {
    return {
      ok: false,
      problems: [
        {
          path: 'cpu',
          message: `task size cpu ${request.cpu ?? '(unset)'} / memory ${request.memory ?? '(unset)'} does not hold the defender sidecar: ${why}; raise it to at least cpu ${target.cpu ?? need.cpu} / memory ${target.memory ?? need.memory}, or enable resize`,
        },
      ],
    };
  }

  const plan: { ok: true; cpu?: string; memory?: string; changes: Change[] } = { ok: true, changes: [] };
  if (target.cpu !== undefined && target.cpu !== current.cpu) {
    plan.cpu = String(target.cpu);
    plan.changes.push({
      kind: 'resize-task',
      path: 'cpu',
      message: `task cpu ${request.cpu === undefined ? 'set' : `raised from "${request.cpu}"`} to ${plan.cpu}: ${why}`,
    });
  }
  if (target.memory !== undefined && target.memory !== current.memory) {
    plan.memory = String(target.memory);
    plan.changes.push({
      kind: 'resize-task',
      path: 'memory',
      message: `task memory ${request.memory === undefined ? 'set' : `raised from "${request.memory}"`} to ${plan.memory} MiB: ${why}`,
    });
  }
  return plan;
}
