import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeBus } from '../aws/eventbridge-bus.js';
import { createDefaultImageResolver } from '../images/default-resolver.js';
import { type AdmissionRuntime, createAdmissionRuntime } from './admission-runtime.js';
import type { AdmissionSettings } from './settings.js';

/**
 * The runtime as the Lambdas build it at cold start: real clients (ECS with more SDK attempts for
 * throttling, since RegisterTaskDefinition sustains about one call per second), the product's bus,
 * the registry look-up for containers without `entryPoint`, and Powertools' logger.
 */
export function createAwsAdmissionRuntime(settings: AdmissionSettings, logger: Logger): AdmissionRuntime {
  return createAdmissionRuntime({
    settings,
    ecsClient: new ECSClient({ maxAttempts: 6 }),
    dynamoClient: new DynamoDBClient({}),
    bus: new EventBridgeBus({ busName: settings.busName, client: new EventBridgeClient({}) }),
    log: { info: (message, data) => logger.info(message, data) },
    resolver: createDefaultImageResolver(),
  });
}
