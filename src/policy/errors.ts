import type { Problem } from '../embed/decision.js';

/** Base of every error the policy service raises on purpose; the HTTP layer maps each to a status. */
export class PolicyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

/** A rule or rules document that does not satisfy the rule language; `problems` name each field. */
export class RulesValidationError extends PolicyError {
  constructor(
    readonly problems: Problem[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid rules: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`.slice(0, 2000),
      options,
    );
    this.name = 'RulesValidationError';
  }
}

/** The named rule does not exist in the current policy. */
export class RuleNotFoundError extends PolicyError {
  constructor(readonly ruleName: string) {
    super(`no rule named "${ruleName}"`);
    this.name = 'RuleNotFoundError';
  }
}

/** A create names a rule that already exists. */
export class RuleExistsError extends PolicyError {
  constructor(readonly ruleName: string) {
    super(`a rule named "${ruleName}" already exists: replace it with PUT /v1/rules/${ruleName}`);
    this.name = 'RuleExistsError';
  }
}

/** An update stated a policy version that is no longer current (optimistic concurrency). */
export class VersionConflictError extends PolicyError {
  constructor(
    readonly expectedVersion: string,
    readonly currentVersion: string | undefined,
  ) {
    super(
      `the policy changed since version ${expectedVersion} was read (current version: ${currentVersion ?? 'unknown'}); read it again and retry`,
    );
    this.name = 'VersionConflictError';
  }
}

/** The rules store could not be read or written (the cause says why; never shown to clients). */
export class RulesStoreError extends PolicyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RulesStoreError';
  }
}

/** Why a defender token was refused: `invalid` (malformed or forged), `expired`, or `forbidden` (other family). */
export type TokenFailure = 'invalid' | 'expired' | 'forbidden';

/** A defender token that is malformed, forged, expired or used for another family. */
export class TokenError extends PolicyError {
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}
