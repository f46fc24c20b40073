import { createHash } from 'node:crypto';

/** One request the fake saw. */
export interface SeenRequest {
  url: string;
  authorization: string | null;
  accept: string | null;
}

type Handler = (url: URL, request: SeenRequest) => Response | Promise<Response>;

/**
 * A `fetch` that answers from a table of recorded responses keyed by URL (query string included
 * when the key has one), and fails loudly on anything else, so a test sees every request made.
 */
export function fakeFetch(routes: Record<string, Handler>): { fetchImpl: typeof fetch; seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    const request = {
      url: url.href,
      authorization: headers.get('authorization'),
      accept: headers.get('accept'),
    };
    seen.push(request);
    const handler = routes[url.href] ?? routes[`${url.origin}${url.pathname}`];
    if (handler === undefined) throw new TypeError(`fake fetch: no route for ${url.href}`);
    return handler(url, request);
  };
  return { fetchImpl, seen };
}

export const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
    ...init,
  });

export const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** A recorded image: its config text and a manifest pointing at it. */
export function recordedImage(
  config: object,
  mediaType = 'application/vnd.docker.distribution.manifest.v2+json',
) {
  const configText = JSON.stringify(config);
  const manifestText = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: mediaType.includes('docker')
        ? 'application/vnd.docker.container.image.v1+json'
        : 'application/vnd.oci.image.config.v1+json',
      size: Buffer.byteLength(configText),
      digest: sha256(configText),
    },
    layers: [],
  });
  return {
    configText,
    configDigest: sha256(configText),
    manifestText,
    manifestDigest: sha256(manifestText),
    mediaType,
  };
}
