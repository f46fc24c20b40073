import type { Problem } from '../../embed/decision.js';
import type { HttpResponse } from './types.js';

/** An error meant for the client: its status, a stable code, a message and optional field problems. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: Problem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** JSON response with the headers every answer carries. */
export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(value),
  };
}

/** The error body: `{"error": CODE, "message": TEXT, "problems": [{path, message}]?}`. */
export function errorResponse(error: HttpError): HttpResponse {
  return jsonResponse(
    error.status,
    {
      error: error.code,
      message: error.message,
      ...(error.problems && error.problems.length > 0 ? { problems: error.problems.slice(0, 100) } : {}),
    },
    error.headers,
  );
}
