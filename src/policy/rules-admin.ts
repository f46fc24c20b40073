import type { Problem } from '../embed/decision.js';
import { RuleExistsError, RuleNotFoundError, RulesValidationError, VersionConflictError } from './errors.js';
import { parseRulesDocument, type Rule, type RulesDocument } from './rules-schema.js';
import type { PolicySnapshot, RulesStore } from './rules-store.js';

/** How many times an edit without a stated version is re-applied when another writer got in first. */
const UNCONDITIONAL_ATTEMPTS = 5;

/**
 * Applies `edit` to the current rules and stores the result as the next version. With
 * `expectedVersion` (what the caller read), a policy that moved on gets {@link VersionConflictError};
 * without it the edit is re-applied to the latest rules, so it never overwrites a concurrent change.
 * The edited list is validated as a whole document (unique names) before anything is written.
 */
export async function editRules(
  store: RulesStore,
  expectedVersion: string | undefined,
  edit: (rules: Rule[]) => Rule[],
): Promise<PolicySnapshot> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.read();
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new VersionConflictError(expectedVersion, current.version);
    }
    const next = parseRulesDocument({ rules: edit([...current.rules]) }).rules;
    try {
      return await store.write(next, current.version);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || expectedVersion !== undefined) throw error;
      if (attempt >= UNCONDITIONAL_ATTEMPTS) throw error;
    }
  }
}

function indexOf(rules: readonly Rule[], name: string): number {
  const index = rules.findIndex((r) => r.name === name);
  if (index < 0) throw new RuleNotFoundError(name);
  return index;
}

/** Looks one rule up by name in the current policy. */
export async function getRule(store: RulesStore, name: string): Promise<{ version: string; rule: Rule }> {
  const snapshot = await store.read();
  const rule = snapshot.rules[indexOf(snapshot.rules, name)] as Rule;
  return { version: snapshot.version, rule };
}

/** Adds a rule at `position` (default: last, i.e. lowest priority); its name must be new. */
export function createRule(
  store: RulesStore,
  rule: Rule,
  options: { expectedVersion?: string | undefined; position?: number | undefined } = {},
): Promise<PolicySnapshot> {
  return editRules(store, options.expectedVersion, (rules) => {
    if (rules.some((r) => r.name === rule.name)) throw new RuleExistsError(rule.name);
    const at = Math.min(options.position ?? rules.length, rules.length);
    rules.splice(at, 0, rule);
    return rules;
  });
}

/** Replaces the rule called `name` in place, keeping its position; the body must keep the name. */
export async function replaceRule(
  store: RulesStore,
  name: string,
  rule: Rule,
  expectedVersion: string | undefined,
): Promise<PolicySnapshot> {
  if (rule.name !== name) {
    throw new RulesValidationError([
      {
        path: 'name',
        message: `must be "${name}" (the name in the URL); to rename, create the new rule and delete the old one`,
      },
    ]);
  }
  return editRules(store, expectedVersion, (rules) => {
    rules[indexOf(rules, name)] = rule;
    return rules;
  });
}

/** Removes the rule called `name`. */
export function deleteRule(
  store: RulesStore,
  name: string,
  expectedVersion: string | undefined,
): Promise<PolicySnapshot> {
  return editRules(store, expectedVersion, (rules) => {
    rules.splice(indexOf(rules, name), 1);
    return rules;
  });
}

/** Puts the rules in the order given, which must name every current rule exactly once. */
export function reorderRules(
  store: RulesStore,
  order: readonly string[],
  expectedVersion: string | undefined,
): Promise<PolicySnapshot> {
  return editRules(store, expectedVersion, (rules) => {
    const byName = new Map(rules.map((r) => [r.name, r]));
    const problems: Problem[] = [];
    const seen = new Set<string>();
    order.forEach((name, i) => {
      if (!byName.has(name)) problems.push({ path: `order[${i}]`, message: `no rule named "${name}"` });
      else if (seen.has(name)) problems.push({ path: `order[${i}]`, message: `"${name}" is listed twice` });
      seen.add(name);
    });
    const missing = rules.filter((r) => !seen.has(r.name)).map((r) => r.name);
    if (missing.length > 0) {
      problems.push({ path: 'order', message: `must list every rule; missing: ${missing.join(', ')}` });
    }
    if (problems.length > 0) throw new RulesValidationError(problems);
    return order.map((name) => byName.get(name) as Rule);
  });
}

/** Replaces the whole rule list with a document (what `policy push` does). */
export function replaceAllRules(
  store: RulesStore,
  document: RulesDocument,
  expectedVersion: string | undefined,
): Promise<PolicySnapshot> {
  return editRules(store, expectedVersion, () => [...document.rules]);
}
