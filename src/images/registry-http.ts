import {
  type ImageErrorContext,
  RegistryProtocolError,
  RegistryTimeoutError,
  ResponseTooLargeError,
} from './errors.js';
import type { SecretRedactor } from './redact.js';
import { isLoopbackHost } from './reference.js';

/** A structured debug logger (Powertools' Logger fits). Receives no headers, bodies or query strings. */
export interface ImageLookupLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** How the client talks HTTP: every knob a test or a caller may turn. */
export interface HttpSettings {
  fetchImpl: typeof fetch;
  /** Per attempt, headers and body together. */
  timeoutMs: number;
  /** Extra attempts after a network error, a timeout, 429 or 5xx. */
  retries: number;
  /** First back-off delay; doubled each retry, capped at 4 s (the server's Retry-After, capped too, replaces it). */
  backoffMs: number;
  sleep: (ms: number) => Promise<void>;
  logger?: ImageLookupLogger | undefined;
  redactor: SecretRedactor;
}

/** A response with its body read (within the limit). */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The URL that answered, after redirects. */
  url: URL;
}

/** What one request is for, so that errors can say it. */
export interface RequestPurpose {
  /** `manifest`, `config blob`, `token`: used in messages. */
  what: string;
  /** Largest successful body accepted. */
  maxBytes: number;
  context: ImageErrorContext;
  /** Milliseconds since the epoch (performance-free: Date.now) after which no new attempt starts. */
  deadline: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_BACKOFF_MS = 4000;
// Error bodies are only read to quote the registry's reason; a few KiB is plenty.
const MAX_ERROR_BODY = 16 * 1024;

class TooLarge extends Error {}

/**
 * Refuses any URL this client must not use: plain HTTP except to loopback, and anything but HTTP(S).
 * Realms and redirect targets come from the registry, so they are checked like the registry itself.
 */
export function assertAllowedUrl(url: URL, context: ImageErrorContext): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopbackHost(url.host)) return;
  throw new RegistryProtocolError(
    `refusing to use ${url.protocol}//${url.host}: only HTTPS is allowed (plain HTTP only to loopback registries)`,
    context,
  );
}

async function readBody(response: Response, maxBytes: number, truncate: boolean): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (!truncate && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new TooLarge(String(declared));
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (truncate) {
        chunks.push(value.subarray(0, value.byteLength - (total - maxBytes)));
        break;
      }
      throw new TooLarge(String(total));
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
}

/**
 * One GET with everything a registry call needs: a timeout per attempt (AbortSignal), bounded
 * retries with exponential back-off on network errors, timeouts, 408/429/5xx; redirects followed by
 * hand so that the target's scheme is checked and `Authorization` is dropped when the origin
 * changes (blob downloads redirect to S3 or a CDN); a size limit enforced while streaming.
 * Non-2xx answers are returned (body truncated) for the caller to interpret.
 */
export async function registryGet(
  url: URL,
  headers: Record<string, string>,
  purpose: RequestPurpose,
  settings: HttpSettings,
): Promise<HttpResponse> {
  let lastFailure = '';
  let hinted: number | undefined;
  for (let attempt = 0; attempt <= settings.retries; attempt++) {
    if (attempt > 0) {
      const remaining = purpose.deadline - Date.now();
      if (remaining <= 0) break;
      const backoff = hinted ?? settings.backoffMs * 2 ** (attempt - 1);
      await settings.sleep(Math.min(backoff, MAX_BACKOFF_MS, remaining));
      hinted = undefined;
    }
    const remaining = purpose.deadline - Date.now();
    if (remaining <= 0) break;
    const timeoutMs = Math.min(settings.timeoutMs, remaining);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = Date.now();
    try {
      const { response, url: answered } = await followRedirects(
        url,
        headers,
        controller.signal,
        purpose,
        settings,
      );
      const ok = response.status >= 200 && response.status < 300;
      const body = await readBody(response, ok ? purpose.maxBytes : MAX_ERROR_BODY, !ok);
      settings.logger?.debug('registry request', {
        what: purpose.what,
        url: `${answered.origin}${answered.pathname}`,
        status: response.status,
        ms: Date.now() - started,
        attempt,
      });
      if (RETRYABLE.has(response.status) && attempt < settings.retries) {
        lastFailure = `HTTP ${response.status}`;
        hinted = retryAfterMs(response.headers);
        continue;
      }
      return { status: response.status, headers: response.headers, body, url: answered };
    } catch (error) {
      if (error instanceof TooLarge) {
        throw new ResponseTooLargeError(
          `the ${purpose.what} is larger than the limit of ${purpose.maxBytes} bytes (${error.message} bytes or more); refusing to read it`,
          { ...purpose.context, limit: purpose.maxBytes },
        );
      }
      if (error instanceof RegistryProtocolError) throw error;
      lastFailure = controller.signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `network error (${settings.redactor.redact(describeNetworkError(error))})`;
      settings.logger?.debug('registry request failed', {
        what: purpose.what,
        url: `${url.origin}${url.pathname}`,
        failure: lastFailure,
        attempt,
      });
      if (!controller.signal.aborted && attempt >= settings.retries) {
        throw new RegistryProtocolError(`cannot reach the registry for the ${purpose.what}: ${lastFailure}`, {
          ...purpose.context,
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }
  if (lastFailure.startsWith('HTTP ')) {
    throw new RegistryProtocolError(
      `the registry kept failing for the ${purpose.what} (${lastFailure}) after ${attempts(settings.retries + 1)}`,
      purpose.context,
    );
  }
  throw new RegistryTimeoutError(
    `timed out reading the ${purpose.what}: ${lastFailure || 'the look-up deadline passed'} (after ${attempts(settings.retries + 1)})`,
    purpose.context,
  );
}

async function followRedirects(
  start: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
  purpose: RequestPurpose,
  settings: HttpSettings,
): Promise<{ response: Response; url: URL }> {
  let url = start;
  let current = { ...headers };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    assertAllowedUrl(url, purpose.context);
    const response = await settings.fetchImpl(url, { headers: current, redirect: 'manual', signal });
    const location = response.headers.get('location');
    if (!REDIRECT.has(response.status) || location === null) {
      return { response, url };
    }
    await response.body?.cancel().catch(() => undefined);
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      // Presigned blob URLs carry their own authorisation; our credentials must not follow them.
      const { authorization: _dropped, Authorization: _Dropped, ...rest } = current;
      current = rest;
    }
    url = next;
  }
  throw new RegistryProtocolError(`too many redirects fetching the ${purpose.what}`, purpose.context);
}

function attempts(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}
