import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type AwsAdmission, createAwsAdmission } from '../src/admission/aws-admission-runtime.js';
import { loadAdmissionSettings } from '../src/admission/settings.js';

/**
 * The scheduled sweep (every 15 minutes by default): protects and moves whatever events missed.
 * It stops before the Lambda times out and the next run continues from the saved cursor.
 */
const logger = new Logger({ serviceName: 'ecs-admission-sweep' });
const settings = loadAdmissionSettings();
// The SDK clients are built with the first invocation, not at cold start: constructing them is
// about a tenth of the import, and the settings above already fail a misconfigured function.
let runtime: AwsAdmission | undefined;

export const handler = middy().handler(async (_event: unknown, context: Context) => {
  runtime ??= createAwsAdmission(settings, logger);
  const { summary } = await runtime.sweep(() => context.getRemainingTimeInMillis());
  return summary;
});
