/**
 * The framework-agnostic HTTP shapes the policy router speaks. Adapters (the Lambda handler for API
 * Gateway HTTP API v2 events, the local stack's node:http server) convert to and from these.
 */
export interface HttpRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/rules/block-mkdir` (percent-encoding still applied). */
  path: string;
  /** Query parameters; a repeated parameter keeps its last value. */
  query: Record<string, string | undefined>;
  /** Headers with lower-case names. */
  headers: Record<string, string | undefined>;
  /** The body as text (UTF-8), if any. */
  body?: string | undefined;
  /**
   * The caller's identity when the platform authenticated it (API Gateway's IAM authorizer sets the
   * caller ARN); the admin authenticator decides what it means.
   */
  iamCaller?: string | undefined;
  /** The AWS account of the authenticated caller, when the platform knows it. */
  callerAccount?: string | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
