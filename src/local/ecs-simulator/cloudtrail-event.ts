import { randomUUID } from 'node:crypto';

/** Who made a call, as CloudTrail records it in `userIdentity` (an assumed role here). */
export interface CallerIdentity {
  /** Session ARN, e.g. `arn:aws:sts::111122223333:assumed-role/ecs-admission/session`. */
  arn: string;
  /** The role behind the session, e.g. `arn:aws:iam::111122223333:role/ecs-admission`. */
  roleArn?: string;
  accessKeyId: string;
}

/** The EventBridge envelope of a CloudTrail management event, as `aws.ecs` rules receive it. */
export interface CloudTrailEnvelope {
  version: '0';
  id: string;
  'detail-type': 'AWS API Call via CloudTrail';
  source: 'aws.ecs';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** What one served (or refused) call looked like, enough to build its CloudTrail record. */
export interface ServedCall {
  operation: string;
  request: unknown;
  response?: unknown;
  error?: { code: string; message: string };
  caller: CallerIdentity;
  account: string;
  region: string;
  time: Date;
  requestId: string;
}

/**
 * Builds the event CloudTrail delivers through EventBridge for one ECS call: failed calls carry
 * `errorCode`/`errorMessage` and no `responseElements`, as in a real account. The time is
 * second-precision, as CloudTrail's `eventTime` is.
 */
export function cloudTrailEvent(call: ServedCall): CloudTrailEnvelope {
  const time = `${call.time.toISOString().slice(0, 19)}Z`;
  const account = call.account;
  const identity: Record<string, unknown> = {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${call.caller.arn.split('/').pop() ?? 'session'}`,
    arn: call.caller.arn,
    accountId: account,
    accessKeyId: call.caller.accessKeyId,
    ...(call.caller.roleArn
      ? {
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLE',
              arn: call.caller.roleArn,
              accountId: account,
              userName: call.caller.roleArn.split('/').pop(),
            },
            attributes: { creationDate: time, mfaAuthenticated: 'false' },
          },
        }
      : {}),
  };
  const eventId = randomUUID();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ecs',
    account,
    time,
    region: call.region,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: identity,
      eventTime: time,
      eventSource: 'ecs.amazonaws.com',
      eventName: call.operation,
      awsRegion: call.region,
      sourceIPAddress: '127.0.0.1',
      userAgent: 'aws-sdk-js/3 ecs-simulator',
      ...(call.error ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
      requestParameters: call.request ?? null,
      responseElements: call.error ? null : (call.response ?? null),
      requestID: call.requestId,
      eventID: eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
    },
  };
}
