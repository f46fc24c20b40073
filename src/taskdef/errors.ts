/** Base of the errors thrown by src/taskdef. Bad input is never thrown: it comes back as Problems. */
export class TaskdefError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskdefError';
  }
}

/** A shape name that the compact ECS model does not hold: a programming error or a stale generated file. */
export class UnknownShapeError extends TaskdefError {
  constructor(readonly shape: string) {
    super(
      `shape ${shape} is not in the compact ECS model; pick one reachable from RegisterTaskDefinitionRequest or DescribeTaskDefinitionResponse, or run npm run generate`,
    );
    this.name = 'UnknownShapeError';
  }
}
