import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { type AwsAdmission, createAwsAdmission } from '../src/admission/aws-admission-runtime.js';
import { loadAdmissionSettings } from '../src/admission/settings.js';

/**
 * EventBridge target for `aws.ecs` events (CloudTrail API calls and deployment state changes).
 * Settings are validated at cold start, so a misconfiguration fails at once, naming the variable.
 * A failed event throws: EventBridge retries it, then its dead-letter queue keeps it.
 */
const logger = new Logger({ serviceName: 'ecs-admission' });
const settings = loadAdmissionSettings();
// The SDK clients are built with the first invocation, not at cold start: constructing them is
// about a tenth of the import, and the settings above already fail a misconfigured function.
let runtime: AwsAdmission | undefined;

export const handler = middy().handler(async (event: unknown) => {
  runtime ??= createAwsAdmission(settings, logger);
  const outcome = await runtime.handleEvent(event);
  if (outcome.decisions.length === 0) {
    logger.debug('event needs nothing', {
      kind: outcome.classified.kind,
      eventName: outcome.classified.eventName,
    });
  }
  return { kind: outcome.classified.kind, decisions: outcome.decisions.length };
});
