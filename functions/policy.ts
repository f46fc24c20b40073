import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { createAwsPolicyHandler } from '../src/policy/aws-policy-handler.js';
import { loadPolicySettings } from '../src/policy/settings.js';

/**
 * The policy service Lambda (API Gateway HTTP API, payload 2.0): sidecar routes authenticated by
 * defender tokens, admin routes (`/v1/rules...`, `/v1/embed`) behind IAM authorization configured on
 * the route in serverless.yml. Settings are read at cold start so a misconfiguration fails at once.
 */
const logger = new Logger({ serviceName: 'ecs-admission-policy' });
const settings = loadPolicySettings();
// The service and its SDK clients are built with the first request, not at cold start:
// constructing the clients is about a tenth of the import, and the settings above already fail
// a misconfigured function.
let handle: ReturnType<typeof createAwsPolicyHandler> | undefined;
const createHandler = () =>
  createAwsPolicyHandler({
    settings,
    logger: {
      error: (message, { error, path, method }) =>
        logger.error(message, {
          path,
          method,
          error:
            error instanceof Error
              ? {
                  name: error.name,
                  message: error.message,
                  // The SDK's reason (access denied, throttled...) is what an operator needs to act on.
                  cause:
                    error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined,
                  stack: error.stack,
                }
              : String(error),
        }),
    },
  });

export const handler = middy().handler((event: unknown) => {
  handle ??= createHandler();
  return handle(event);
});
