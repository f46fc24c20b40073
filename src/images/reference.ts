import { ImageReferenceError } from './errors.js';

/** Docker Hub's canonical name; `index.docker.io` and a missing registry mean the same. */
export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's registry API is served from (docker.io itself only redirects). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** A parsed image reference, normalised as Docker does (`nginx` → `docker.io/library/nginx:latest`). */
export interface ImageReference {
  /** The reference as written. */
  readonly original: string;
  /** Registry host with optional port, lower-cased: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** Repository path inside the registry: `library/nginx`, `org/team/app`. */
  readonly repository: string;
  /** The tag; `latest` when neither a tag nor a digest was written. */
  readonly tag: string | undefined;
  /** `algorithm:hex` when the reference names a digest (with or without a tag). */
  readonly digest: string | undefined;
}

// The grammar of github.com/distribution/reference, which Docker, ECS and every registry use.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]+$/;
const MAX_NAME_LENGTH = 255;

function fail(original: string, reason: string): never {
  throw new ImageReferenceError(reason, { image: original });
}

function validDomain(domain: string): boolean {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const end = domain.indexOf(']');
    if (end < 0) return false;
    host = domain.slice(1, end);
    const rest = domain.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    port = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) return false;
  } else {
    const colon = domain.lastIndexOf(':');
    if (colon >= 0) {
      port = domain.slice(colon + 1);
      host = domain.slice(0, colon);
    }
    if (!host.split('.').every((part) => DOMAIN_COMPONENT.test(part))) return false;
  }
  return port === undefined || (PORT.test(port) && Number(port) > 0 && Number(port) < 65536);
}

/**
 * Parses an image reference the way Docker does: `[registry[:port]/]path[:tag][@digest]`. A first
 * component is a registry only if it has a `.` or `:` or is `localhost` (so `library/nginx` is on
 * Docker Hub); Docker Hub names of one component live under `library/`; no tag and no digest means
 * `latest`.
 * @throws ImageReferenceError saying what is wrong with the reference and how to write it.
 */
export function parseImageReference(original: string): ImageReference {
  const text = original.trim();
  if (text === '') fail(original, 'the image reference is empty');
  if (/\s/.test(text)) fail(original, 'an image reference cannot contain spaces');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      fail(original, `"${digest}" is not a digest: write sha256: followed by 64 lower-case hex digits`);
    }
  }

  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasRegistry =
    slash >= 0 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  let registry = hasRegistry ? first.toLowerCase() : DOCKER_HUB;
  let remainder = hasRegistry ? rest.slice(slash + 1) : rest;
  if (hasRegistry && !validDomain(first)) fail(original, `"${first}" is not a valid registry host[:port]`);

  let tag: string | undefined;
  const colon = remainder.lastIndexOf(':');
  if (colon >= 0) {
    tag = remainder.slice(colon + 1);
    remainder = remainder.slice(0, colon);
    if (!TAG.test(tag)) {
      fail(original, `"${tag}" is not a valid tag: use letters, digits, "_", "." and "-" (at most 128)`);
    }
  }

  if (remainder === '') fail(original, 'the reference has no repository name');
  if (/[<>{}$]/.test(text)) {
    fail(
      original,
      'this looks like an unfilled template placeholder, not an image name: render the template first',
    );
  }
  const components = remainder.split('/');
  for (const component of components) {
    if (!PATH_COMPONENT.test(component.toLowerCase())) {
      fail(
        original,
        `"${component}" is not a valid repository path component: use lower-case letters and digits, separated by ".", "_", "__" or "-"`,
      );
    }
  }
  if (remainder !== remainder.toLowerCase()) {
    fail(original, `repository name "${remainder}" must be lower case`);
  }

  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  const repository = registry === DOCKER_HUB && components.length === 1 ? `library/${remainder}` : remainder;
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    fail(original, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { original, registry, repository, tag, digest };
}

/** The fully qualified name without tag or digest: `docker.io/library/nginx`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified reference: `docker.io/library/nginx:1.25@sha256:...`. */
export function canonicalReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The host whose `/v2/` API serves a registry: Docker Hub's lives at `registry-1.docker.io`. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** The host name without port or IPv6 brackets, lower-cased. */
export function hostName(hostWithPort: string): string {
  if (hostWithPort.startsWith('[')) return hostWithPort.slice(1, hostWithPort.indexOf(']')).toLowerCase();
  const colon = hostWithPort.lastIndexOf(':');
  return (colon < 0 ? hostWithPort : hostWithPort.slice(0, colon)).toLowerCase();
}

/**
 * Whether a host is a loopback address (127.0.0.0/8, `localhost`, `::1`): the only registries this
 * client speaks plain HTTP to, since traffic to them never leaves the machine.
 */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = hostName(hostWithPort);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const octets = host.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255)
  );
}
