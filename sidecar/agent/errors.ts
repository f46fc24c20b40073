/** Base of every error the sidecar agent raises. */
export class AgentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentError';
  }
}

/** The policy service could not be reached or answered something unusable. */
export class PolicyFetchError extends AgentError {
  constructor(
    message: string,
    readonly container: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PolicyFetchError';
  }
}

/** A batch of audits was not accepted; `retryable` says whether sending it again can help. */
export class AuditShipError extends AgentError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuditShipError';
  }
}
