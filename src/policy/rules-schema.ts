import { isIP } from 'node:net';
import { z } from 'zod';
import { formatZodIssues } from '../taskdef/format-issues.js';
import { CompiledWaasSchema, SectionEffectSchema } from './compiled-policy.js';
import { RulesValidationError } from './errors.js';

/**
 * The rule language (docs/policy.md). Rules are ordered; the first rule whose scope matches a
 * container applies to it. Every section is optional and defaults to `{effect: disable}`; the schema
 * rejects unknown keys and sections that contradict themselves, naming the field and the fix.
 */

/** Rule names appear in URLs (`/v1/rules/NAME`) and audits, so they stay URL- and log-safe. */
export const RuleNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

const GlobSchema = z
  .string()
  .max(1024)
  .refine((s) => s.length > 0, 'empty pattern: use "*" to match everything')
  .refine((s) => !/[\0\n\r]/.test(s), 'patterns cannot contain NUL or line breaks');

const ScopeListSchema = z
  .array(GlobSchema)
  .max(256)
  .refine(
    (list) => list.length > 0,
    'an empty list matches nothing: omit the field (or use ["*"]) to match everything',
  );

export const ScopeSchema = z
  .object({
    images: ScopeListSchema.optional(),
    containers: ScopeListSchema.optional(),
    families: ScopeListSchema.optional(),
    clusters: ScopeListSchema.optional(),
  })
  .strict();
export type Scope = z.infer<typeof ScopeSchema>;

const HOST_GLOB = /^[A-Za-z0-9*_]([A-Za-z0-9*_.-]*[A-Za-z0-9*_])?$/;
const DNS_PATTERN = /^[A-Za-z0-9*_]([A-Za-z0-9*_.-]*[A-Za-z0-9*_])?\.?$/;
const PORT = /^(\*|[0-9]{1,5})$/;

function validPort(port: string | undefined): boolean {
  if (port === undefined || port === '*') return true;
  if (!PORT.test(port)) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

function validAddress(address: string, family: 4 | 6): boolean {
  const [ip, prefix, extra] = address.split('/');
  if (extra !== undefined || ip === undefined || isIP(ip) !== family) return false;
  if (prefix === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Checks one outbound destination pattern: `HOST[:PORT]`, `IP[:PORT]`, `CIDR[:PORT]`, `[IPv6][:PORT]`,
 * `[IPv6-CIDR][:PORT]`, or a bare IPv6 address / CIDR; PORT is a number or `*`, HOST may use `*`.
 */
export function isValidNetworkPattern(pattern: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::([^:]+))?$/.exec(pattern);
  if (bracketed) return validAddress(bracketed[1] ?? '', 6) && validPort(bracketed[2]);
  if ((pattern.match(/:/g) ?? []).length > 1) return validAddress(pattern, 6);
  const [host = '', port] = pattern.split(':');
  if (!validPort(port)) return false;
  if (/^[0-9.]+(\/[0-9]+)?$/.test(host)) return validAddress(host, 4);
  return HOST_GLOB.test(host);
}

function sectionSchema(kind: 'processes' | 'dns' | 'network') {
  const item = GlobSchema.superRefine((value, ctx) => {
    if (kind === 'dns' && !DNS_PATTERN.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'not a domain name pattern: use letters, digits, "-", "." and "*" (e.g. "*.example.com")',
      });
    }
    if (kind === 'network' && !isValidNetworkPattern(value)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'not a destination: use HOST[:PORT], IP[:PORT], CIDR[:PORT] or [IPv6][:PORT] (e.g. "10.0.0.0/8", "api.example.com:443")',
      });
    }
  });
  const list = z.array(item).max(4096);
  return z
    .object({ effect: SectionEffectSchema, allow: list.optional(), deny: list.optional() })
    .strict()
    .superRefine((section, ctx) => {
      if (section.allow && section.deny) {
        ctx.addIssue({
          code: 'custom',
          path: ['deny'],
          message:
            'set either allow (everything else is denied) or deny (everything else is allowed), not both',
        });
      } else if (section.effect === 'disable' && (section.allow || section.deny)) {
        ctx.addIssue({
          code: 'custom',
          path: [section.allow ? 'allow' : 'deny'],
          message: `effect "disable" enforces nothing: remove the list, or set effect to "alert" or "prevent"`,
        });
      } else if (section.effect !== 'disable' && !section.allow && !section.deny) {
        ctx.addIssue({
          code: 'custom',
          path: ['effect'],
          message: `effect "${section.effect}" needs a list: set allow (everything else is denied) or deny (everything else is allowed)`,
        });
      }
    });
}

export const ProcessesSectionSchema = sectionSchema('processes');
export const DnsSectionSchema = sectionSchema('dns');
export const NetworkSectionSchema = sectionSchema('network');
export type RuleSection = z.infer<typeof ProcessesSectionSchema>;

export const RuleSchema = z
  .object({
    name: RuleNameSchema,
    description: z.string().max(1024).optional(),
    /** Glob patterns per dimension; an omitted dimension matches everything. */
    scope: ScopeSchema.optional(),
    processes: ProcessesSectionSchema.optional(),
    dns: DnsSectionSchema.optional(),
    network: NetworkSectionSchema.optional(),
    waas: CompiledWaasSchema.optional(),
  })
  .strict();
export type Rule = z.infer<typeof RuleSchema>;

export const RulesDocumentSchema = z
  .object({ rules: z.array(RuleSchema).max(10_000) })
  .strict()
  .superRefine((doc, ctx) => {
    const seen = new Map<string, number>();
    doc.rules.forEach((rule, index) => {
      const first = seen.get(rule.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `duplicate rule name (also rules[${first}].name): names must be unique`,
        });
      } else seen.set(rule.name, index);
    });
  });
export type RulesDocument = z.infer<typeof RulesDocumentSchema>;

/** Validates a parsed value as one rule; throws {@link RulesValidationError} naming each bad field. */
export function parseRule(value: unknown): Rule {
  const result = RuleSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw new RulesValidationError(formatZodIssues(result.error));
  return result.data;
}

/** Validates a parsed value as a rules document `{rules: [...]}`. */
export function parseRulesDocument(value: unknown): RulesDocument {
  const result = RulesDocumentSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw new RulesValidationError(formatZodIssues(result.error));
  return result.data;
}
