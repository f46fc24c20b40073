import { z } from 'zod';

/**
 * One runtime audit: one thing the defender saw. The launcher writes these as NDJSON lines; the
 * sidecar agent adds what it learns from the task metadata endpoint (cluster, task, revision,
 * region); the policy service stamps what the defender token proves (account, family) and puts
 * each one on the EventBridge bus as detail-type `ECS Runtime Audit`.
 */
export const AuditKindSchema = z.enum(['process', 'dns', 'network', 'waas']);
export type AuditKind = z.infer<typeof AuditKindSchema>;

export const AuditSchema = z
  .object({
    /** ISO-8601 time at which the defender saw the event. */
    time: z.iso.datetime({ offset: true }),
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z.string().optional(),
    cluster: z.string().optional(),
    /** Task ARN (or ID when the ARN is not known). */
    task: z.string().optional(),
    family: z.string().min(1),
    revision: z.number().int().positive().optional(),
    container: z.string().min(1),
    image: z.string().optional(),
    kind: AuditKindSchema,
    /** The effect of the rule that produced the audit: `prevent` means it was blocked. */
    effect: z.enum(['alert', 'prevent']),
    /** Name of the matching rule; null when the default policy applied. */
    rule: z.string().nullable(),
    /** Human message in the style of the reference product, e.g. `/bin/mkdir launched from /bin/dash and is explicitly blocked in the runtime rule. Full command: mkdir test`. */
    message: z.string().min(1).max(4096),
    /**
     * Kind-specific facts. process: `{path, parent, command, pid}`; dns: `{domain, process, pid}`;
     * network: `{address, port, protocol, process, pid}`; waas: `{ruleIds, uri, method, source}`.
     */
    details: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type Audit = z.infer<typeof AuditSchema>;
