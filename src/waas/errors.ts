/** Base of every WAAS proxy error. */
export class WaasError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WaasError';
  }
}

/** The compiled policy cannot be turned into a proxy configuration; `field` names the JSON path. */
export class WaasConfigError extends WaasError {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WaasConfigError';
  }
}

/** nginx refused the configuration, failed to start, or exited. */
export class WaasProcessError extends WaasError {
  constructor(
    message: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WaasProcessError';
  }
}
