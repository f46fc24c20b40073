/** Base of every error the admission controller raises; `stage` says which step failed. */
export class AdmissionError extends Error {
  constructor(
    message: string,
    readonly stage: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AdmissionError';
  }
}

/** An ECS call that failed after every retry; the invocation fails so EventBridge retries it. */
export class EcsCallError extends AdmissionError {
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed after ${attempts} attempt(s): ${code}: ${message}`, 'ecs', options);
    this.name = 'EcsCallError';
  }
}

/** Another invocation holds the claim on a source revision and has not finished yet. */
export class ClaimBusyError extends AdmissionError {
  constructor(
    readonly sourceArn: string,
    options?: { cause?: unknown },
  ) {
    super(`another invocation is protecting ${sourceArn}; retrying later finishes it`, 'claim', options);
    this.name = 'ClaimBusyError';
  }
}

/** An environment variable is missing or invalid; the message names it and says what is expected. */
export class SettingsError extends AdmissionError {
  constructor(message: string) {
    super(message, 'settings');
    this.name = 'SettingsError';
  }
}

/** Decision records that the bus would not take, after its own retries. */
export class DecisionDeliveryError extends AdmissionError {
  constructor(
    readonly failed: number,
    message: string,
  ) {
    super(`${failed} decision record(s) could not be put on the bus: ${message}`, 'bus');
    this.name = 'DecisionDeliveryError';
  }
}
