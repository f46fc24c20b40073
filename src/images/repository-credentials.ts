import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { RegistryAuthError } from './errors.js';
import type { RegistryCredentials } from './registry-auth.js';

/** The Secrets Manager client the look-up may use to read `repositoryCredentials` secrets. */
export type SecretsManagerLike = Pick<SecretsManagerClient, 'send'>;

// The format ECS itself requires of a repositoryCredentials secret.
const RepositoryCredentialsSecretSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
});

/**
 * Reads a container's `repositoryCredentials.credentialsParameter` secret (ECS format:
 * `{"username": "...", "password": "..."}`). Errors name the secret, never its content.
 */
export async function readRepositoryCredentials(
  client: SecretsManagerLike,
  secretId: string,
  context: { image: string; registry: string },
): Promise<RegistryCredentials> {
  let text: string | undefined;
  try {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    text = output.SecretString;
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : 'Error';
    throw new RegistryAuthError(
      `cannot read the repositoryCredentials secret ${secretId} (${name}): the caller needs secretsmanager:GetSecretValue on it (deployed stack: set the registryCredentialSecretPattern parameter)`,
      { ...context, cause: new Error(name) },
    );
  }
  let parsed: z.infer<typeof RepositoryCredentialsSecretSchema> | undefined;
  try {
    parsed = RepositoryCredentialsSecretSchema.parse(JSON.parse(text ?? ''));
  } catch {
    // The content is a secret: say what shape is expected, not what was found.
    throw new RegistryAuthError(
      `the repositoryCredentials secret ${secretId} must be a JSON string like {"username": "...", "password": "..."}`,
      context,
    );
  }
  return { username: parsed.username, password: parsed.password };
}
