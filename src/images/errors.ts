/**
 * Errors of the image look-up. Every message is fit to show a user: it names the image and the
 * registry and gives the registry's reason. No message, field or cause ever holds a credential or
 * a token (the client redacts what a registry echoes back before it gets here).
 */

/** Where a look-up failed, carried by every error of this area. */
export interface ImageErrorContext {
  /** The image as the user wrote it. */
  image: string;
  /** The registry host spoken to, when known (`registry-1.docker.io`, `127.0.0.1:5000`). */
  registry?: string;
  cause?: unknown;
}

function prefix(context: ImageErrorContext): string {
  return context.registry === undefined
    ? `image "${context.image}"`
    : `image "${context.image}" (registry ${context.registry})`;
}

/** Base of every error thrown while reading an image's configuration. */
export class ImageLookupError extends Error {
  readonly image: string;
  readonly registry: string | undefined;
  /** The part after the image and registry: what went wrong, for embedding in other messages. */
  readonly reason: string;

  constructor(reason: string, context: ImageErrorContext) {
    super(
      `${prefix(context)}: ${reason}`,
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = 'ImageLookupError';
    this.image = context.image;
    this.registry = context.registry;
    this.reason = reason;
  }
}

/** The image reference is not valid (`<IMAGE_NAME>`, upper case, bad digest...). */
export class ImageReferenceError extends ImageLookupError {
  constructor(reason: string, context: ImageErrorContext) {
    super(reason, context);
    this.name = 'ImageReferenceError';
  }
}

/** The registry has no such repository, tag, manifest or blob (HTTP 404). */
export class ImageNotFoundError extends ImageLookupError {
  readonly code: string | undefined;

  constructor(reason: string, context: ImageErrorContext & { readonly code?: string }) {
    super(reason, context);
    this.name = 'ImageNotFoundError';
    this.code = context.code;
  }
}

/** The registry refused access (HTTP 401/403, token endpoint refusal, credentials that cannot be read). */
export class RegistryAuthError extends ImageLookupError {
  readonly status: number | undefined;

  constructor(reason: string, context: ImageErrorContext & { readonly status?: number }) {
    super(reason, context);
    this.name = 'RegistryAuthError';
    this.status = context.status;
  }
}

/** The registry did not answer in time (after the retries). */
export class RegistryTimeoutError extends ImageLookupError {
  constructor(reason: string, context: ImageErrorContext) {
    super(reason, context);
    this.name = 'RegistryTimeoutError';
  }
}

/** A response was larger than the limit set for its kind (manifest, config, token). */
export class ResponseTooLargeError extends ImageLookupError {
  readonly limit: number;

  constructor(reason: string, context: ImageErrorContext & { readonly limit: number }) {
    super(reason, context);
    this.name = 'ResponseTooLargeError';
    this.limit = context.limit;
  }
}

/** Content did not hash to the digest it was fetched by (or announced): tampering or corruption. */
export class DigestMismatchError extends ImageLookupError {
  readonly expected: string;
  readonly actual: string;

  constructor(
    reason: string,
    context: ImageErrorContext & { readonly expected: string; readonly actual: string },
  ) {
    super(reason, context);
    this.name = 'DigestMismatchError';
    this.expected = context.expected;
    this.actual = context.actual;
  }
}

/** The image has no manifest for the platform the task runs on. */
export class PlatformNotFoundError extends ImageLookupError {
  readonly available: string[];

  constructor(reason: string, context: ImageErrorContext & { readonly available: string[] }) {
    super(reason, context);
    this.name = 'PlatformNotFoundError';
    this.available = context.available;
  }
}

/**
 * The registry answered something this client will not use: an unsupported or malformed manifest,
 * a plain-HTTP address that is not loopback, a server error after the retries, a network failure.
 */
export class RegistryProtocolError extends ImageLookupError {
  readonly status: number | undefined;

  constructor(reason: string, context: ImageErrorContext & { readonly status?: number }) {
    super(reason, context);
    this.name = 'RegistryProtocolError';
    this.status = context.status;
  }
}
