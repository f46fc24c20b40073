import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './package-stack.js';

/** One recorded event, in the EventBridge envelope, and the file it came from. */
export interface RecordedEvent {
  name: string;
  event: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The envelope EventBridge puts around a CloudTrail record of an AWS API call, which is how the
 * corpus's bare CloudTrail records (as CloudTrail and incident write-ups publish them) reach a rule.
 */
export function inCloudTrailEnvelope(record: Record<string, unknown>): Record<string, unknown> {
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  return {
    version: '0',
    id: '00000000-0000-0000-0000-000000000000',
    'detail-type': 'AWS API Call via CloudTrail',
    source: String(record.eventSource ?? '')
      .replace(/\.amazonaws\.com$/, '')
      .replace(/^/, 'aws.'),
    account: String(identity.accountId ?? record.recipientAccountId ?? '111122223333'),
    time: String(record.eventTime ?? '2024-01-01T00:00:00Z'),
    region: String(record.awsRegion ?? 'us-east-1'),
    resources: [],
    detail: record,
  };
}

function envelopes(parsed: unknown): Record<string, unknown>[] {
  const items = Array.isArray(parsed) ? parsed : [parsed];
  // Anything else in the folders (an account file for `simulate`, say) is not an event.
  return items
    .filter(isObject)
    .filter((item) => 'detail-type' in item || 'eventSource' in item)
    .map((item) => ('detail-type' in item ? item : inCloudTrailEnvelope(item)));
}

function readFolder(folder: string, label: string): RecordedEvent[] {
  if (!existsSync(folder)) return [];
  const found: RecordedEvent[] = [];
  for (const file of readdirSync(folder).sort()) {
    const text = readFileSync(join(folder, file), 'utf8');
    let documents: unknown[];
    if (file.endsWith('.json')) documents = [JSON.parse(text)];
    else if (file.endsWith('.ndjson') || file.endsWith('.jsonl')) {
      documents = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line));
    } else continue;
    const events = documents.flatMap(envelopes);
    events.forEach((event, index) => {
      found.push({ name: `${label}/${file}${events.length > 1 ? `#${index}` : ''}`, event });
    });
  }
  return found;
}

/** The project's recorded events (`events/`) and the real-world corpus's (`test/corpus/events/`). */
export function recordedEvents(): RecordedEvent[] {
  return [
    ...readFolder(join(REPO_ROOT, 'events'), 'events'),
    ...readFolder(join(REPO_ROOT, 'test', 'corpus', 'events'), 'corpus'),
  ];
}
