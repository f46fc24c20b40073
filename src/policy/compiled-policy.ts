import { z } from 'zod';

/**
 * The compiled policy: what the policy service serves for ONE container (`GET /v1/policy`), what the
 * sidecar agent writes to the shared volume (one file per container), and what the launcher enforces.
 * It is the matching rule's sections with every default made explicit, so the launcher never has to
 * know the rule language.
 *
 * Section semantics (each of processes, dns, network):
 * - `effect: 'disable'`: the section is not enforced and produces no audits (no list present).
 * - `allow: [...]`: everything not matching a pattern is denied; `deny: [...]`: only matches are denied.
 *   Exactly one of them is present when the effect is `alert` or `prevent`.
 * - `alert`: a denied action runs and is audited. `prevent`: it is blocked and audited.
 *
 * Patterns: `*` matches any run of characters (including `/` and `.`); matching is case-sensitive
 * for processes and case-insensitive for DNS names.
 * - processes: a pattern containing `/` matches the executable's resolved absolute path (symlinks
 *   resolved, so `/bin/mkdir` also catches `/usr/bin/mkdir` on merged-/usr images: the compiler adds
 *   both spellings); a pattern without `/` matches the executable's base name.
 * - dns: domain names without the trailing dot; `*.example.com` matches sub-domains only.
 * - network: `HOST[:PORT]`, `IP[:PORT]`, `CIDR[:PORT]`, `[IPv6][:PORT]` or `[IPv6-CIDR][:PORT]`;
 *   HOST is matched against the DNS name the process resolved to reach that address, when known.
 */
export const SectionEffectSchema = z.enum(['alert', 'prevent', 'disable']);
export type SectionEffect = z.infer<typeof SectionEffectSchema>;

export const CompiledSectionSchema = z.union([
  z.object({ effect: z.literal('disable') }).strict(),
  z.object({ effect: z.enum(['alert', 'prevent']), allow: z.array(z.string()) }).strict(),
  z.object({ effect: z.enum(['alert', 'prevent']), deny: z.array(z.string()) }).strict(),
]);
export type CompiledSection = z.infer<typeof CompiledSectionSchema>;

export const CompiledWaasSchema = z
  .object({
    effect: SectionEffectSchema,
    protections: z.array(z.enum(['sqli', 'xss', 'lfi', 'rce', 'protocol', 'rfi', 'php', 'java', 'session'])),
    paranoiaLevel: z.number().int().min(1).max(4),
    exposedPort: z.number().int().min(1).max(65535).optional(),
    appPort: z.number().int().min(1).max(65535).optional(),
    bodyLimitBytes: z.number().int().positive().optional(),
    allowPaths: z.array(z.string()).optional(),
    allowSources: z.array(z.string()).optional(),
  })
  .strict();
export type CompiledWaas = z.infer<typeof CompiledWaasSchema>;

export const CompiledPolicySchema = z
  .object({
    /** Policy version the rule was compiled from: changes whenever any rule changes. */
    version: z.string().min(1),
    /** Name of the rule that applies to the container, or null for the default policy. */
    rule: z.string().nullable(),
    processes: CompiledSectionSchema,
    dns: CompiledSectionSchema,
    network: CompiledSectionSchema,
    waas: CompiledWaasSchema.optional(),
  })
  .strict();
export type CompiledPolicy = z.infer<typeof CompiledPolicySchema>;

/** The default policy (no rules): allows everything and alerts on nothing. */
export function defaultCompiledPolicy(version: string): CompiledPolicy {
  return {
    version,
    rule: null,
    processes: { effect: 'disable' },
    dns: { effect: 'disable' },
    network: { effect: 'disable' },
  };
}
