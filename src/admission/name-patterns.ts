/**
 * Matches a name against `*` wildcard patterns (the exclusion syntax shared with policy rules):
 * `*` matches any run of characters, everything else is literal and case-sensitive.
 */
export function matchesAny(name: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) => globToRegExp(p).test(name));
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
