import type { Problem } from './decision.js';

/** Base of every error the embed area throws; the transform itself returns decisions, never throws. */
export class EmbedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbedError';
  }
}

/** The embed configuration is not valid; `problems` name each field (JSON path) and what is wrong. */
export class EmbedConfigError extends EmbedError {
  constructor(
    readonly problems: Problem[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid embed configuration: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      options,
    );
    this.name = 'EmbedConfigError';
  }
}

/** An image's configuration (ENTRYPOINT/CMD) could not be read for the container that needs it. */
export class ImageResolutionError extends EmbedError {
  constructor(
    readonly container: string,
    readonly image: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`container "${container}": cannot read the configuration of image "${image}": ${reason}`, options);
    this.name = 'ImageResolutionError';
  }
}

/** A protected task definition whose marker cannot be read back (hand-edited labels). */
export class StripError extends EmbedError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'StripError';
  }
}
