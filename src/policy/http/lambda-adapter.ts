import { z } from 'zod';
import { errorResponse, HttpError } from './http-error.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** The part of an API Gateway HTTP API (payload 2.0) event the policy function reads. */
export const HttpApiEventSchema = z.looseObject({
  rawPath: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.looseObject({
    accountId: z.string().optional(),
    domainName: z.string().optional(),
    http: z.looseObject({ method: z.string() }),
    /** Present only on routes with IAM authorization, after API Gateway verified the signature. */
    authorizer: z
      .looseObject({
        iam: z.looseObject({ userArn: z.string().optional(), accountId: z.string().optional() }).optional(),
      })
      .optional(),
  }),
});
export type HttpApiEvent = z.infer<typeof HttpApiEventSchema>;

/** What the function returns to API Gateway. */
export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: false;
}

/** Converts an HTTP API event, or answers it directly (400 unreadable, 413 over `maxBodyBytes`). */
export function requestFromEvent(event: unknown, maxBodyBytes: number): HttpRequest | HttpResponse {
  const parsed = HttpApiEventSchema.safeParse(event);
  if (!parsed.success) return errorResponse(new HttpError(400, 'bad_request', 'not an HTTP API request'));
  const e = parsed.data;
  const raw = e.body ?? '';
  // Checked on the encoded size first so an oversized body is never decoded.
  // (every character is at least one byte of UTF-8; base64 takes 4 characters per 3 bytes).
  const encodedLimit = e.isBase64Encoded ? Math.ceil((maxBodyBytes * 4) / 3) + 4 : maxBodyBytes;
  if (raw.length > encodedLimit) {
    return errorResponse(
      new HttpError(413, 'body_too_large', `the body is over the limit of ${maxBodyBytes} bytes`),
    );
  }
  const body = e.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : e.body;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(e.headers ?? {})) headers[name.toLowerCase()] = value;
  const iam = e.requestContext.authorizer?.iam;
  return {
    method: e.requestContext.http.method,
    path: e.rawPath,
    query: { ...(e.queryStringParameters ?? {}) },
    headers,
    body,
    iamCaller: iam ? (iam.userArn ?? iam.accountId ?? 'iam') : undefined,
    callerAccount: iam?.accountId ?? e.requestContext.accountId,
  };
}

/** Converts a router response to the HTTP API result. */
export function resultFromResponse(response: HttpResponse): HttpApiResult {
  return {
    statusCode: response.status,
    headers: response.headers,
    body: response.body,
    isBase64Encoded: false,
  };
}
