import { parse as parseYaml } from 'yaml';
import type { Problem } from '../embed/decision.js';
import { RulesValidationError } from './errors.js';
import { parseRulesDocument, type RulesDocument } from './rules-schema.js';

/**
 * Parses the text of a rules document, YAML or JSON (JSON is YAML, so one parser reads both; the
 * YAML parser keeps duplicate keys an error). Syntax errors become a problem at `$` with the line.
 * Apart from the schemas so that the policy Lambda, which reads JSON rules from its table, does not
 * load the YAML parser at cold start.
 */
export function parseRulesText(text: string): RulesDocument {
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : 'unreadable document';
    const problems: Problem[] = [{ path: '$', message: `not valid YAML or JSON: ${message}` }];
    throw new RulesValidationError(problems, { cause: error });
  }
  return parseRulesDocument(value ?? {});
}
