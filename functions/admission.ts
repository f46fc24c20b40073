import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { createAwsAdmission } from '../src/admission/aws-admission-runtime.js';
import { loadAdmissionSettings } from '../src/admission/settings.js';

/**
 * EventBridge target for `aws.ecs` events (CloudTrail API calls and deployment state changes).
 * Settings are validated at cold start, so a misconfiguration fails at once, naming the variable.
 * A failed event throws: EventBridge retries it, then its dead-letter queue keeps it.
 */
const logger = new Logger({ serviceName: 'ecs-admission' });
const runtime = createAwsAdmission(loadAdmissionSettings(), logger);

export const handler = middy().handler(async (event: unknown) => {
  const outcome = await runtime.handleEvent(event);
  if (outcome.decisions.length === 0) {
    logger.debug('event needs nothing', {
      kind: outcome.classified.kind,
      eventName: outcome.classified.eventName,
    });
  }
  return { kind: outcome.classified.kind, decisions: outcome.decisions.length };
});
