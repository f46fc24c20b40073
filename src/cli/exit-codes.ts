/** Exit codes shared by every subcommand; users script against them. */
export const EXIT = {
  ok: 0,
  /** `check`: the task definition is not protected by the current version. */
  notProtected: 1,
  /** Input that is not a valid task definition, or a bad command line / configuration. */
  usage: 2,
  invalidInput: 2,
  /** Valid input that cannot be protected. */
  cannotProtect: 3,
  internal: 70,
} as const;

/** An error whose message is fit for the user and that carries the exit code to end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
