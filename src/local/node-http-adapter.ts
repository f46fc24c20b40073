import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse, HttpError } from '../policy/http/http-error.js';
import type { Handler } from '../policy/http/router.js';
import type { HttpRequest, HttpResponse } from '../policy/http/types.js';

/** Reads a request body, giving up (undefined) as soon as it passes `limit` bytes. */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!done) reject(error);
    });
  });
}

function send(res: ServerResponse, response: HttpResponse, close = false): void {
  res.writeHead(response.status, { ...response.headers, ...(close ? { connection: 'close' } : {}) });
  res.end(response.status === 304 ? undefined : response.body);
}

/**
 * Serves a router {@link Handler} from a node:http request: the body is read up to `maxBodyBytes`
 * (413 and the connection closed beyond it, without buffering the rest), headers are lower-case
 * and single-valued, and a repeated query parameter keeps its last value.
 */
export async function serveNodeRequest(
  handler: Handler,
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  try {
    const raw = req.url ?? '/';
    const mark = raw.indexOf('?');
    const path = mark < 0 ? raw : raw.slice(0, mark);
    const search = new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1));
    const declared = Number(req.headers['content-length'] ?? 0);
    const body = declared > maxBodyBytes ? undefined : await readLimited(req, maxBodyBytes);
    if (body === undefined) {
      send(
        res,
        errorResponse(
          new HttpError(413, 'body_too_large', `the body is over the limit of ${maxBodyBytes} bytes`),
        ),
        true,
      );
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of search) query[name] = value;
    const request: HttpRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      headers,
      body: body.length > 0 ? body.toString('utf8') : undefined,
    };
    send(res, await handler(request));
  } catch {
    if (!res.headersSent) send(res, errorResponse(new HttpError(500, 'internal', 'internal error')), true);
    else res.destroy();
  }
}
