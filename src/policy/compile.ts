import type { CompiledPolicy, CompiledSection } from './compiled-policy.js';
import { defaultCompiledPolicy } from './compiled-policy.js';
import type { Rule, RuleSection } from './rules-schema.js';

/**
 * Merged-/usr images (Debian, Ubuntu, Fedora...) make `/bin` a symlink to `/usr/bin`, so the launcher
 * sees `/usr/bin/mkdir` for a rule written as `/bin/mkdir`; older images keep both directories. The
 * compiler emits both spellings so one rule works on either kind of image.
 */
const USR_MERGED_DIRS: readonly (readonly [string, string])[] = [
  ['/bin/', '/usr/bin/'],
  ['/sbin/', '/usr/sbin/'],
  ['/lib/', '/usr/lib/'],
  ['/lib64/', '/usr/lib64/'],
];

/** Adds the other `/usr` spelling of a process path pattern (see {@link USR_MERGED_DIRS}). */
export function processPathSpellings(pattern: string): string[] {
  for (const [short, long] of USR_MERGED_DIRS) {
    if (pattern.startsWith(short)) return [pattern, long + pattern.slice(short.length)];
    if (pattern.startsWith(long)) return [pattern, short + pattern.slice(long.length)];
  }
  return [pattern];
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** DNS names compare case-insensitively and without the root's trailing dot. */
function normaliseDomain(pattern: string): string {
  return pattern.toLowerCase().replace(/\.$/, '');
}

/** Host names in destinations are case-insensitive; IPv6 hex digits are lower-cased the same way. */
function normaliseDestination(pattern: string): string {
  return pattern.toLowerCase();
}

function compileSection(
  section: RuleSection | undefined,
  expand: (pattern: string) => string[],
): CompiledSection {
  if (section === undefined || section.effect === 'disable') return { effect: 'disable' };
  if (section.allow) return { effect: section.effect, allow: unique(section.allow.flatMap(expand)) };
  return { effect: section.effect, deny: unique((section.deny ?? []).flatMap(expand)) };
}

/**
 * Compiles the rule that applies to one container into the form the launcher enforces
 * (src/policy/compiled-policy.ts): defaults made explicit, process paths in both `/usr` spellings,
 * DNS names and hosts lower-cased. No rule gives the default policy (allow everything, alert on nothing).
 */
export function compileRule(rule: Rule | undefined, version: string): CompiledPolicy {
  if (rule === undefined) return defaultCompiledPolicy(version);
  const compiled: CompiledPolicy = {
    version,
    rule: rule.name,
    processes: compileSection(rule.processes, processPathSpellings),
    dns: compileSection(rule.dns, (p) => [normaliseDomain(p)]),
    network: compileSection(rule.network, (p) => [normaliseDestination(p)]),
  };
  if (rule.waas) compiled.waas = rule.waas;
  return compiled;
}
