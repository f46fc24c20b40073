import type { Rule, Scope } from './rules-schema.js';

/** What a rule's scope is matched against: one container of one task. */
export interface MatchTarget {
  container: string;
  family: string;
  /** Image reference as written in the task definition; unknown matches only `*`. */
  image?: string | undefined;
  /** Cluster name; unknown (e.g. not reported by the agent) matches only `*`. */
  cluster?: string | undefined;
}

/** A compiled glob: `*` matches any run of characters (including `/` and `.`), the rest literally. */
export type GlobMatcher = (value: string) => boolean;

/**
 * Compiles a `*` glob to a predicate. Patterns without `*` compare by equality, which keeps the common
 * case (exact container or family names) free of regular expressions.
 */
export function compileGlob(pattern: string, options: { caseInsensitive?: boolean } = {}): GlobMatcher {
  const ci = options.caseInsensitive === true;
  if (pattern === '*') return () => true;
  if (!pattern.includes('*')) {
    const literal = ci ? pattern.toLowerCase() : pattern;
    return ci ? (v) => v.toLowerCase() === literal : (v) => v === literal;
  }
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`, ci ? 'is' : 's');
  return (v) => re.test(v);
}

/** True when `value` matches the glob `pattern` (see {@link compileGlob}). */
export function matchesGlob(
  pattern: string,
  value: string,
  options?: { caseInsensitive?: boolean },
): boolean {
  return compileGlob(pattern, options)(value);
}

type DimensionMatcher = (value: string | undefined) => boolean;

function dimension(patterns: readonly string[] | undefined): DimensionMatcher {
  if (patterns === undefined || patterns.includes('*')) return () => true;
  const globs = patterns.map((p) => compileGlob(p));
  return (value) => value !== undefined && globs.some((g) => g(value));
}

/** Compiles a scope once so that matching many containers against many rules stays cheap. */
export function compileScope(scope: Scope | undefined): (target: MatchTarget) => boolean {
  const images = dimension(scope?.images);
  const containers = dimension(scope?.containers);
  const families = dimension(scope?.families);
  const clusters = dimension(scope?.clusters);
  return (t) => containers(t.container) && families(t.family) && images(t.image) && clusters(t.cluster);
}

/** Finds the first rule (in order) whose scope matches a target. */
export type RuleMatcher = (target: MatchTarget) => Rule | undefined;

/**
 * Builds the first-match function for an ordered rule list: the first rule whose scope matches the
 * container's image, name, task family and cluster applies; none means the default policy.
 */
export function createRuleMatcher(rules: readonly Rule[]): RuleMatcher {
  const compiled = rules.map((rule) => ({ rule, matches: compileScope(rule.scope) }));
  return (target) => compiled.find((c) => c.matches(target))?.rule;
}

/** One-shot form of {@link createRuleMatcher}. */
export function matchRule(rules: readonly Rule[], target: MatchTarget): Rule | undefined {
  return createRuleMatcher(rules)(target);
}
