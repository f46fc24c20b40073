/**
 * Fargate task sizes (Linux): each CPU value with the memory values it accepts, in MiB.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_SIZES: readonly { cpu: number; memory: readonly number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: gib(1, 4, 1) },
  { cpu: 1024, memory: gib(2, 8, 1) },
  { cpu: 2048, memory: gib(4, 16, 1) },
  { cpu: 4096, memory: gib(8, 30, 1) },
  { cpu: 8192, memory: gib(16, 60, 4) },
  { cpu: 16384, memory: gib(32, 120, 8) },
];

function gib(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let g = from; g <= to; g += step) out.push(g * 1024);
  return out;
}

/** A task size in CPU units and MiB. */
export interface TaskSize {
  cpu: number;
  memory: number;
}

/**
 * Task cpu as ECS accepts it: CPU units (`"256"`) or vCPUs (`"1 vcpu"`, `"0.5 vCPU"`).
 * Undefined when it is not a whole number of CPU units.
 */
export function parseCpuUnits(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(vcpus?)?\s*$/i.exec(value);
  if (!match) return undefined;
  const units = Number(match[1]) * (match[2] ? 1024 : 1);
  return Number.isInteger(units) ? units : undefined;
}

/** Task memory as ECS accepts it: MiB (`"512"`) or GB (`"2 GB"`, `"2gb"`; ECS means GiB). */
export function parseMemoryMiB(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(gb|gib|mb|mib)?\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = match[2]?.toLowerCase();
  const mib = Number(match[1]) * (unit === 'gb' || unit === 'gib' ? 1024 : 1);
  return Number.isInteger(mib) ? mib : undefined;
}

/** Whether cpu/memory is one of the combinations Fargate runs. */
export function isFargateSize(size: TaskSize): boolean {
  return FARGATE_SIZES.some((s) => s.cpu === size.cpu && s.memory.includes(size.memory));
}

/**
 * The smallest Fargate size with at least `min` cpu and memory: least CPU first (it costs about
 * nine times as much as a GiB), then least memory. Undefined when even the largest is too small.
 */
export function smallestFargateSize(min: TaskSize): TaskSize | undefined {
  for (const size of FARGATE_SIZES) {
    if (size.cpu < min.cpu) continue;
    const memory = size.memory.find((m) => m >= min.memory);
    if (memory !== undefined) return { cpu: size.cpu, memory };
  }
  return undefined;
}
