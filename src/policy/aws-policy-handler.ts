import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeBus } from '../aws/eventbridge-bus.js';
import type { ImageConfigResolver } from '../embed/image-config.js';
import type { SigningKey } from './defender-token.js';
import { iamAdminAuthenticator } from './http/auth.js';
import { embedRoute } from './http/embed-route.js';
import { errorResponse, HttpError } from './http/http-error.js';
import { type HttpApiResult, requestFromEvent, resultFromResponse } from './http/lambda-adapter.js';
import { RULES_BODY_LIMIT } from './http/rules-routes.js';
import { createPolicyService, type PolicyService } from './policy-service.js';
import { DynamoRulesStore } from './rules-store.js';
import type { PolicySettings } from './settings.js';
import { loadSigningKeysFromSecret } from './signing-key.js';

/** Where unexpected errors are reported (Powertools Logger in the Lambda). */
export interface ErrorLogger {
  error(message: string, extra: { error: unknown; path?: string; method?: string }): void;
}

/** Options of {@link createAwsPolicyHandler}; clients default to the SDK's default chain. */
export interface AwsPolicyHandlerOptions {
  settings: PolicySettings;
  dynamo?: DynamoDBClient;
  eventBridge?: EventBridgeClient;
  secrets?: SecretsManagerClient;
  resolver?: ImageConfigResolver;
  logger?: ErrorLogger;
  now?: () => number;
}

/**
 * The policy API on Lambda: converts API Gateway HTTP API (payload 2.0) events, builds the service
 * on the first request (the signing key is read from Secrets Manager once per container; a failed
 * read answers 503 and is tried again on the next request), and keeps it warm between invocations.
 */
export function createAwsPolicyHandler(
  options: AwsPolicyHandlerOptions,
): (event: unknown) => Promise<HttpApiResult> {
  const { settings, logger } = options;
  const store = new DynamoRulesStore({
    tableName: settings.rulesTable,
    client: options.dynamo ?? new DynamoDBClient({}),
  });
  const bus = new EventBridgeBus({
    busName: settings.busName,
    client: options.eventBridge ?? new EventBridgeClient({}),
  });
  let service: Promise<PolicyService> | undefined;
  const onError = (error: unknown, request?: { path: string; method: string }) =>
    logger?.error('policy request failed', {
      error,
      ...(request ? { path: request.path, method: request.method } : {}),
    });

  const build = async (): Promise<PolicyService> => {
    const signingKeys: SigningKey[] = await loadSigningKeysFromSecret(
      settings.signingKeySecretArn,
      // Without one, the loader builds the client itself, loading its SDK module on this first read.
      options.secrets,
    );
    return createPolicyService({
      store,
      bus,
      signingKeys,
      authenticateAdmin: iamAdminAuthenticator(),
      checkIntervalMs: settings.checkIntervalMs,
      ...(options.now ? { now: options.now } : {}),
      onError,
      extraRoutes: (cache) => [
        embedRoute({
          policies: cache,
          config: settings.embedConfig,
          signingKeys,
          defaultAccount: '000000000000',
          policyUrlFor: (request) => (request.headers.host ? `https://${request.headers.host}` : undefined),
          ...(options.resolver ? { resolver: options.resolver } : {}),
          ...(options.now ? { now: options.now } : {}),
        }),
      ],
    });
  };

  return async (event) => {
    const request = requestFromEvent(event, RULES_BODY_LIMIT);
    if ('status' in request) return resultFromResponse(request);
    let ready: PolicyService;
    try {
      service ??= build();
      ready = await service;
    } catch (error) {
      service = undefined;
      onError(error, request);
      return resultFromResponse(
        errorResponse(new HttpError(503, 'unavailable', 'the policy service is starting; retry')),
      );
    }
    return resultFromResponse(await ready.handle(request));
  };
}
