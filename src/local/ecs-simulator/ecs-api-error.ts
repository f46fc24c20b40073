/**
 * An error the simulated ECS API returns, with the `__type` and HTTP status the real service uses,
 * so the SDK's deserialiser raises the same exception class it raises against AWS.
 */
export class EcsApiError extends Error {
  constructor(
    /** ECS error code (`ClientException`, `InvalidParameterException`, ...), sent as `__type`. */
    readonly type: string,
    message: string,
    /** HTTP status: 400 for client-side errors, 500 for `ServerException`. */
    readonly status: number = 400,
  ) {
    super(message);
    this.name = 'EcsApiError';
  }
}

export const clientException = (message: string): EcsApiError => new EcsApiError('ClientException', message);
export const invalidParameter = (message: string): EcsApiError =>
  new EcsApiError('InvalidParameterException', message);
