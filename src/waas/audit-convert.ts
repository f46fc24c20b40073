import { z } from 'zod';
import type { Audit } from '../audit/audit.js';
import { BLOCK_STATUS } from './render-config.js';

/** The part of one ModSecurity v3 JSON audit record (`SecAuditLogFormat JSON`, parts ABHZ) the conversion reads. */
export const ModsecRecordSchema = z.object({
  transaction: z
    .object({
      client_ip: z.string().optional(),
      time_stamp: z.string().optional(),
      unique_id: z.string().optional(),
      request: z.object({ method: z.string().optional(), uri: z.string().optional() }).loose().optional(),
      response: z.object({ http_code: z.number().optional() }).loose().optional(),
      messages: z
        .array(
          z
            .object({
              message: z.string().optional(),
              details: z
                .object({ ruleId: z.string().optional(), data: z.string().optional() })
                .loose()
                .optional(),
            })
            .loose(),
        )
        .default([]),
    })
    .loose(),
});
export type ModsecRecord = z.infer<typeof ModsecRecordSchema>;

/** Who the audits are about: the protected container and the policy rule that enabled WAAS. */
export interface WaasAuditContext {
  family: string;
  container: string;
  image?: string;
  rule: string | null;
}

/** Names whose values are credentials or session material: never copied into an audit. */
const SENSITIVE =
  /authorization|cookie|passw|pwd|secret|token|api[-_]?key|session|credential|private|signature|auth/i;
/** ModSecurity's own bookkeeping rules: listed in ruleIds, never the headline. */
const SCORING_RULES = new Set(['10198', '949110', '980130', '959100']);
const MAX_DATA = 200;

/** The query string of `uri` with the values of sensitive parameters replaced. */
export function redactUri(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return uri.slice(0, 1024);
  const params = uri
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {}
      return SENSITIVE.test(name) ? `${pair.slice(0, eq)}=[REDACTED]` : pair;
    });
  return `${uri.slice(0, q)}?${params.join('&')}`.slice(0, 1024);
}

/**
 * ModSecurity's matched data (`Matched Data: X found within VAR: VALUE`) with the value withheld
 * when VAR is a credential-bearing header, cookie or parameter, and cut to a short excerpt.
 */
export function redactData(data: string): string {
  const within = /found within ([^:]+(?::[^:\s]+)?):/.exec(data);
  if (within?.[1] && SENSITIVE.test(within[1])) return `[REDACTED: match within ${within[1]}]`;
  if (
    /REQUEST_BODY|REQUEST_HEADERS:(?:authorization|cookie|proxy-authorization)/i.test(data) &&
    data.length > 0
  ) {
    // A raw body or credential header can hold anything: keep only the start of the match.
    return `${data.slice(0, 80)}${data.length > 80 ? '…' : ''}`;
  }
  return data.length > MAX_DATA ? `${data.slice(0, MAX_DATA)}…` : data;
}

function isoTime(timeStamp: string | undefined, now: Date): string {
  // ModSecurity writes ctime() format in the server's zone; the sidecar runs in UTC.
  const parsed = timeStamp ? Date.parse(`${timeStamp} UTC`) : Number.NaN;
  return new Date(Number.isNaN(parsed) ? now.getTime() : parsed).toISOString();
}

/**
 * One `waas` audit from one ModSecurity record: effect `prevent` when the request was blocked,
 * `alert` when it only matched (DetectionOnly, or a score under the threshold). Returns undefined
 * for records without rule messages (nothing matched).
 */
export function modsecToAudit(
  record: ModsecRecord,
  context: WaasAuditContext,
  now = new Date(),
): Audit | undefined {
  const t = record.transaction;
  const matches = t.messages
    .map((m) => ({ ruleId: m.details?.ruleId ?? '', message: m.message ?? '', data: m.details?.data ?? '' }))
    .filter((m) => m.ruleId !== '');
  if (matches.length === 0) return undefined;
  const blocked = t.response?.http_code === BLOCK_STATUS;
  const method = t.request?.method ?? 'GET';
  const uri = redactUri(t.request?.uri ?? '/');
  const source = t.client_ip ?? 'unknown';
  const headline = matches.find((m) => !SCORING_RULES.has(m.ruleId)) ?? matches[0]!;
  const ruleIds = [...new Set(matches.map((m) => m.ruleId))];
  const message =
    `${blocked ? 'Blocked' : 'Detected'}: ${headline.message} (rule ${headline.ruleId}) in ${method} ` +
    `${uri.split('?')[0]} from ${source}; rules ${ruleIds.join(', ')}`;
  const audit: Audit = {
    time: isoTime(t.time_stamp, now),
    family: context.family,
    container: context.container,
    kind: 'waas',
    effect: blocked ? 'prevent' : 'alert',
    rule: context.rule,
    message: message.slice(0, 4096),
    details: {
      ruleIds,
      uri,
      method,
      source,
      status: blocked ? 403 : (t.response?.http_code ?? null),
      id: t.unique_id ?? null,
      matches: matches.slice(0, 20).map((m) => ({
        ruleId: m.ruleId,
        message: m.message.slice(0, 300),
        data: redactData(m.data),
      })),
    },
  };
  if (context.image) audit.image = context.image;
  return audit;
}
