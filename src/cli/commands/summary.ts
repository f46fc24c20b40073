import type { Decision } from '../../embed/decision.js';

/** The human summary of a decision for standard error: one headline, then one line per item. */
export function summarizeDecision(decision: Decision, what: string): string {
  const name = decision.source.family ?? what;
  const lines: string[] = [];
  switch (decision.outcome) {
    case 'protected':
      lines.push(
        `protected ${name} (embed version ${decision.embedVersion})${decision.reason ? `: ${decision.reason}` : ''}; ${decision.changes.length} change(s):`,
      );
      break;
    case 'rejected':
      lines.push(`rejected ${name}: ${decision.reason ?? 'it cannot be protected'}:`);
      break;
    default:
      lines.push(`${decision.outcome} ${name}: ${decision.reason ?? ''}`);
  }
  for (const problem of decision.errors ?? []) lines.push(`  ${problem.path}: ${problem.message}`);
  for (const change of decision.changes)
    lines.push(`  ${change.kind.padEnd(15)} ${change.path}: ${change.message}`);
  if (decision.imageDigests) {
    for (const [container, digest] of Object.entries(decision.imageDigests)) {
      lines.push(`  command line of "${container}" read from image ${digest}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
