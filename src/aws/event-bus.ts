/**
 * Where decisions and audits go: the product's EventBridge bus in AWS, an NDJSON file locally.
 * Both implementations batch and retry internally; `failed` lists what still could not be put, so
 * the caller can report it (the agent keeps such audits; the admission Lambda fails the invocation).
 */
export interface BusEntry {
  /** `ecs-admission` for everything the product emits. */
  source: string;
  /** `ECS Admission Decision`, `ECS Admission Sweep`, `ECS Runtime Audit`. */
  detailType: string;
  detail: unknown;
  resources?: string[];
  /** ISO time; the bus stamps now when absent. */
  time?: string;
}

export interface PutResult {
  failed: { entry: BusEntry; error: string }[];
}

export interface EventBus {
  put(entries: readonly BusEntry[]): Promise<PutResult>;
}

export const BUS_SOURCE = 'ecs-admission';
export const DETAIL_TYPE = {
  decision: 'ECS Admission Decision',
  sweep: 'ECS Admission Sweep',
  audit: 'ECS Runtime Audit',
} as const;
