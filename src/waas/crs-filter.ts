/** What {@link filterCrsRules} keeps of a CRS rule file. */
export interface CrsFilterOptions {
  /** The policy's paranoia level, which the renderer also sets as CRS's executing paranoia level. */
  paranoiaLevel: number;
  /** Directory of CRS's data files (`@pmFromFile x.data` is relative to the rule file's directory). */
  dataDir: string;
  /**
   * TX variables the renderer sets before CRS runs (lower case): CRS's rules that give them a
   * default when unset would only check and do nothing, and are left out.
   */
  presetTx?: ReadonlySet<string>;
  /**
   * CRS's defaults (lower-case TX name to value), from the installed initialization file by
   * {@link crsDefaults}: the values the rewrites below build in.
   */
  defaults?: ReadonlyMap<string, string>;
  /**
   * TX variables crs-setup.conf sets (lower case, {@link txSetBy}), perhaps only for some requests:
   * their defaults stay CRS's own run-time rules, and no rewrite builds in CRS's default for them.
   */
  setupTx?: ReadonlySet<string>;
}

/** Id of the action that sets CRS's defaults in one go (from our own rule id range). */
export const CRS_DEFAULTS_ACTION_ID = 10197;

/** Id of the rule that skips a file of multipart-only rules for other bodies (our range). */
export const MULTIPART_GATE_ID = 10196;

/** One directive with its continuation lines, or a comment or blank line. */
interface Statement {
  text: string;
  args: string[];
}

/** Splits a directive into its arguments: double-quoted strings (with `\"` escapes) or bare words. */
function splitArgs(directive: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < directive.length) {
    while (i < directive.length && /\s/.test(directive[i] ?? '')) i++;
    if (i >= directive.length) break;
    let arg = '';
    if (directive[i] === '"') {
      i++;
      while (i < directive.length && directive[i] !== '"') {
        if (directive[i] === '\\' && i + 1 < directive.length) arg += directive[i++];
        arg += directive[i++];
      }
      i++;
    } else {
      while (i < directive.length && !/\s/.test(directive[i] ?? '')) arg += directive[i++];
    }
    args.push(arg);
  }
  return args;
}

function statementsOf(text: string): Statement[] {
  const lines = text.split('\n');
  const statements: Statement[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] ?? '';
    if (first.trim() === '' || first.trimStart().startsWith('#')) {
      statements.push({ text: first, args: [] });
      continue;
    }
    const parts = [first];
    while ((parts[parts.length - 1] ?? '').trimEnd().endsWith('\\') && i + 1 < lines.length) {
      parts.push(lines[++i] ?? '');
    }
    const joined = parts.map((p) => p.trimEnd().replace(/\\$/, '')).join(' ');
    statements.push({ text: parts.join('\n'), args: splitArgs(joined) });
  }
  return statements;
}

/** A SecRule's or SecAction's actions, split on the commas outside single quotes. */
function actionsOf(args: readonly string[]): string[] {
  const list = args[0] === 'SecAction' ? args[1] : args[0] === 'SecRule' ? args[3] : undefined;
  if (list === undefined) return [];
  const actions: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of list) {
    if (c === "'") quoted = !quoted;
    if (c === ',' && !quoted) {
      actions.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) actions.push(current.trim());
  return actions;
}

const action = (actions: readonly string[], name: string) =>
  actions
    .find((a) => a.startsWith(`${name}:`))
    ?.slice(name.length + 1)
    .replace(/^'(.*)'$/, '$1');

const PHASES: Record<string, string> = { request: '2', response: '4', logging: '5' };

/** ModSecurity's phase of a rule: `phase:N` or its name; 2 when absent (ModSecurity's default). */
function phaseOf(actions: readonly string[]): string {
  const phase = action(actions, 'phase') ?? '2';
  return PHASES[phase] ?? phase;
}

/** `@pmFromFile x.data` names a file relative to the rule file's directory: made absolute. */
function absoluteDataFiles(text: string, dataDir: string): string {
  return text.replace(
    /"(!?@(?:pmFromFile|pmf|ipMatchFromFile|ipMatchF)) ([^"]+)"/g,
    (_, operator: string, files: string) =>
      `"${operator} ${files
        .split(' ')
        .map((f) => (f === '' || f.startsWith('/') || /^https?:/.test(f) ? f : `${dataDir}/${f}`))
        .join(' ')}"`,
  );
}

const DEFAULTS_PLACEHOLDER = '\u0000crs-defaults\u0000';

/**
 * A CRS default: `SecRule &TX:name "@eq 0" "id:...,phase:1,...,setvar:'tx.name=value'"`, which
 * gives a setting its value when crs-setup.conf gave it none. Each matches on every request, and
 * a match builds a message in libmodsecurity 3.0.9 (about 3 % of its CPU for CRS's 20): the filter
 * gathers their setvars, values as the installed CRS has them, into one action at the place of the
 * first. Equivalent because nothing before them sets these variables but the renderer
 * (`presetTx`, whose defaults are left out) and crs-setup.conf (`setupTx`, whose defaults stay
 * rules).
 */
function defaultOf(
  args: readonly string[],
  actions: readonly string[],
): { name: string; setvar: string } | undefined {
  const name = /^&TX:(\w+)$/i.exec(args[1] ?? '')?.[1]?.toLowerCase();
  if (args[0] !== 'SecRule' || !name || args[2] !== '@eq 0' || phaseOf(actions) !== '1') return undefined;
  const setvars = actions.filter((a) => a.startsWith('setvar:'));
  const [setvar] = setvars;
  if (setvars.length !== 1 || !setvar) return undefined;
  const target = /^setvar:'?tx\.(\w+)=/i.exec(setvar)?.[1]?.toLowerCase();
  if (target !== name || actions.some((a) => /^(?:chain|deny|block|drop|skip)/.test(a))) return undefined;
  return { name, setvar };
}

/** CRS's defaults in an initialization file's text: lower-case TX name to value. Pure. */
export function crsDefaults(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const statement of statementsOf(text)) {
    const defaulted = defaultOf(statement.args, actionsOf(statement.args));
    const value = defaulted && /^setvar:'?tx\.\w+=(.*?)'?$/i.exec(defaulted.setvar)?.[1];
    if (defaulted && value !== undefined) found.set(defaulted.name, value);
  }
  return found;
}

/**
 * The TX variables a configuration file's rules and actions set (lower case), whatever their
 * conditions; commented-out lines set nothing. Pure.
 */
export function txSetBy(text: string): Set<string> {
  const names = new Set<string>();
  for (const statement of statementsOf(text)) {
    for (const a of actionsOf(statement.args)) {
      const name = /^setvar:'?tx\.(\w+)=/i.exec(a)?.[1];
      if (name) names.add(name.toLowerCase());
    }
  }
  return names;
}

/**
 * CRS 3.3's rule 920450 (restricted headers) as one rule. CRS writes it as a chain: the first rule
 * matches every header name (`@rx ^.*$`) and stores it as `tx.header_name_<name>=/<name>/`, the
 * chained rule looks each stored value up in `tx.restricted_headers` (`/a/ /b/ ...`) with
 * `@within`. libmodsecurity 3.0.9 compiles and JIT-compiles the chained rule's key regex
 * (`TX:/^header_name_/`) on every request, and the first rule's match on every header builds a
 * message and a variable. One `@rx ^(?:a|b|...)$` on the lower-cased names, built from the same
 * list, matches the same headers: `/name/` is within the list exactly when name is one of its
 * entries, since a header name holds no `/` or space (RFC 9110 tokens). The message names the
 * header without the slashes. Undefined when the group is not that chain or the list is unknown.
 */
function restrictedHeadersRule(group: readonly Statement[], list: string | undefined): string | undefined {
  const [first, chained] = group;
  if (group.length !== 2 || !first || !chained || list === undefined) return undefined;
  if (first.args[1] !== 'REQUEST_HEADERS_NAMES' || first.args[2] !== '@rx ^.*$') return undefined;
  if (chained.args[1] !== 'TX:/^header_name_/' || chained.args[2] !== '@within %{tx.restricted_headers}') {
    return undefined;
  }
  const names = list.split(' ').map((entry) => /^\/([!#$%&*+.^_`|~0-9A-Za-z-]+)\/$/.exec(entry)?.[1]);
  if (names.length === 0 || names.some((n) => n === undefined)) return undefined;
  const actions = actionsOf(first.args).filter((a) => a !== 'chain' && !/^setvar:'?tx\.header_name_/.test(a));
  const scored = actionsOf(chained.args);
  if (!actions.includes('capture') || scored.some((a) => !a.startsWith('setvar:'))) return undefined;
  const escaped = (names as string[]).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `SecRule REQUEST_HEADERS_NAMES "@rx ^(?:${escaped.join('|')})$" "${[...actions, ...scored].join(',')}"`;
}

/** A variable only the multipart body processor fills, or a TX variable CRS fills from them. */
const MULTIPART_ONLY_VARIABLE = /^&?MULTIPART_PART_HEADERS(?::[^|]*)?$|^TX:\/MULTIPART_[^|]*\/$/;

/**
 * A rule file whose every rule (the first of each chain) inspects only variables the multipart
 * body processor fills (CRS 3.3's REQUEST-922: part headers and what it collects from them) finds
 * nothing in any other request, yet libmodsecurity 3.0.9 evaluates each rule on every request, and
 * rule 922110 compiles its key regex (`TX:/MULTIPART_HEADERS_CONTENT_TYPES_*\/`) each time. Such a
 * file is wrapped in one phase-2 skip for request bodies that are not multipart. Undefined when
 * some rule inspects anything else.
 */
function multipartGated(firstRules: readonly Statement[], text: string): string | undefined {
  if (firstRules.length === 0) return undefined;
  for (const rule of firstRules) {
    if (rule.args[0] !== 'SecRule' || phaseOf(actionsOf(rule.args)) !== '2') return undefined;
    if (!(rule.args[1] ?? '').split('|').every((v) => MULTIPART_ONLY_VARIABLE.test(v))) return undefined;
  }
  return [
    `SecRule REQBODY_PROCESSOR "!@streq MULTIPART" "id:${MULTIPART_GATE_ID},phase:2,pass,t:none,nolog,skipAfter:END-ECS-ADMISSION-MULTIPART-ONLY"`,
    text.replace(/\n$/, ''),
    'SecMarker "END-ECS-ADMISSION-MULTIPART-ONLY"',
    '',
  ].join('\n');
}

/**
 * A CRS 3.3 rule file without the rules the paranoia level never runs. CRS skips a file's sections
 * above the executing paranoia level at run time: per section, a phase-1 and a phase-2 rule
 * `TX:EXECUTING_PARANOIA_LEVEL "@lt k"` jump (`skipAfter`) to the file's end marker. libmodsecurity
 * 3.0.9 still walks every skipped rule and evaluates every skip rule on each request (measured: 12 %
 * of its CPU at paranoia level 1), so the filter applies the skips once, here: a skip rule for a
 * level at or below the policy's can never fire and is dropped; one above it always fires, so it is
 * dropped together with the rules of its phase up to its marker, exactly what it would skip. Chained
 * rules go with the rule that starts the chain. CRS's defaults become one action (`defaultOf`); rule
 * 920450 becomes one rule (`restrictedHeadersRule`); a file of multipart-only rules is skipped for
 * other bodies (`multipartGated`). Pure.
 */
export function filterCrsRules(text: string, options: CrsFilterOptions): string {
  const statements = statementsOf(text);
  const kept: string[] = [];
  /** Phase to the marker its rules are being skipped to. */
  const skipping = new Map<string, string>();
  /** The setvar actions of CRS's default rules, gathered into one action. */
  const defaults: string[] = [];
  /** The first rule of each rule or chain kept. */
  const firstRules: Statement[] = [];
  /** The restricted-headers list in force: CRS's default, unless the renderer or crs-setup.conf sets one. */
  const restricted =
    options.presetTx?.has('restricted_headers') || options.setupTx?.has('restricted_headers')
      ? undefined
      : options.defaults?.get('restricted_headers');
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i] as Statement;
    const [directive] = statement.args;
    if (directive === 'SecMarker') {
      for (const [phase, marker] of skipping) if (marker === statement.args[1]) skipping.delete(phase);
      kept.push(statement.text);
      continue;
    }
    if (directive !== 'SecRule' && directive !== 'SecAction') {
      kept.push(statement.text);
      continue;
    }
    // The rule and the rules chained to it.
    const group = [statement];
    for (let last = statement; actionsOf(last.args).includes('chain'); ) {
      let next = i + 1;
      while (next < statements.length && statements[next]?.args[0] !== 'SecRule') next++;
      const chained = statements[next];
      if (!chained) break;
      group.push(chained);
      i = next;
      last = chained;
    }
    const actions = actionsOf(statement.args);
    const phase = phaseOf(actions);
    const level = /^@lt ([1-4])$/.exec(statement.args[2] ?? '')?.[1];
    const skipTo = action(actions, 'skipAfter');
    if (statement.args[1] === 'TX:EXECUTING_PARANOIA_LEVEL' && level && skipTo) {
      if (Number(level) > options.paranoiaLevel && !skipping.has(phase)) skipping.set(phase, skipTo);
      continue;
    }
    if (skipping.has(phase)) continue;
    const defaulted = defaultOf(statement.args, actions);
    if (defaulted && group.length === 1 && !options.setupTx?.has(defaulted.name)) {
      if (options.presetTx?.has(defaulted.name)) continue;
      if (defaults.length === 0) kept.push(DEFAULTS_PLACEHOLDER);
      defaults.push(defaulted.setvar);
      continue;
    }
    firstRules.push(statement);
    const rewritten = restrictedHeadersRule(group, restricted);
    if (rewritten) {
      kept.push(rewritten);
      continue;
    }
    for (const member of group) kept.push(absoluteDataFiles(member.text, options.dataDir));
  }
  const filtered = kept
    .join('\n')
    .replace(
      DEFAULTS_PLACEHOLDER,
      `SecAction "id:${CRS_DEFAULTS_ACTION_ID},phase:1,pass,t:none,nolog,${defaults.join(',')}"`,
    );
  return multipartGated(firstRules, `${filtered}\n`) ?? `${filtered}\n`;
}
