import { z } from 'zod';

/**
 * The decision record (ARCHITECTURE.md): every admission outcome, whoever asked (CLI, HTTP, Lambda,
 * sweep), is one of these. It is what `--json-report` writes, what the HTTP embed endpoint returns
 * beside the task definition, what the admission Lambda logs and puts on the bus as detail-type
 * `ECS Admission Decision`. The core builds it without a clock; adapters add `time` and `trigger`.
 */
export const OutcomeSchema = z.enum(['protected', 'already-protected', 'skipped', 'rejected', 'failed']);
export type Outcome = z.infer<typeof OutcomeSchema>;

/** One change the transform made, readable by people (`message`) and programs (`kind`, `path`). */
export const ChangeSchema = z
  .object({
    kind: z.string().min(1),
    /** JSON path in the output task definition, e.g. `containerDefinitions[0].entryPoint`. */
    path: z.string(),
    message: z.string().min(1),
  })
  .strict();
export type Change = z.infer<typeof ChangeSchema>;

/** A problem with the input, named by its JSON path. */
export const ProblemSchema = z.object({ path: z.string(), message: z.string().min(1) }).strict();
export type Problem = z.infer<typeof ProblemSchema>;

export const ActionSchema = z
  .object({
    kind: z.enum([
      'register-task-definition',
      'update-service',
      'stop-task',
      'deregister-task-definition',
      'needs-action',
    ]),
    /** ARN or name of what was acted on. */
    target: z.string(),
    /** `done`, `planned` (audit mode), `failed`, or `skipped` (e.g. already done by an earlier event). */
    result: z.enum(['done', 'planned', 'failed', 'skipped']),
    detail: z.string().optional(),
  })
  .strict();
export type Action = z.infer<typeof ActionSchema>;

export const TaskDefinitionRefSchema = z
  .object({
    family: z.string().optional(),
    revision: z.number().int().positive().optional(),
    arn: z.string().optional(),
  })
  .strict();

export const DecisionSchema = z
  .object({
    outcome: OutcomeSchema,
    /** Why it was skipped / already protected / failed, in one sentence. */
    reason: z.string().optional(),
    /** For `rejected`: every problem found, each naming its field and the fix. */
    errors: z.array(ProblemSchema).optional(),
    source: TaskDefinitionRefSchema,
    protectedRevision: TaskDefinitionRefSchema.optional(),
    embedVersion: z.string(),
    changes: z.array(ChangeSchema),
    actions: z.array(ActionSchema),
    mode: z.enum(['enforce', 'audit', 'off']).optional(),
    trigger: z
      .object({ source: z.string(), eventId: z.string().optional(), eventName: z.string().optional() })
      .strict()
      .optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    /** Image digests the wrapped command lines were taken from, by container name. */
    imageDigests: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type Decision = z.infer<typeof DecisionSchema>;
