import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { SigningKey } from './defender-token.js';
import { PolicyError } from './errors.js';

/** The signing key secret is missing, unreadable or too short; the message never holds its value. */
export class SigningKeyError extends PolicyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}

const RotatingKeysSchema = z.object({ keys: z.array(z.string().min(32)).min(1) }).strict();

/**
 * Turns a secret's text into signing keys: either the key itself (at least 32 characters) or, to
 * rotate without invalidating tokens in running tasks, `{"keys": ["new", "previous", ...]}` (mint
 * with the first, accept all).
 */
export function parseSigningKeys(secret: string): SigningKey[] {
  const text = secret.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new SigningKeyError('the signing key secret looks like JSON but does not parse', {
        cause: error,
      });
    }
    const result = RotatingKeysSchema.safeParse(parsed);
    if (!result.success) {
      throw new SigningKeyError(
        'the signing key secret must be {"keys": [KEY, ...]} with keys of 32+ characters',
      );
    }
    return result.data.keys;
  }
  if (text.length < 32) throw new SigningKeyError('the signing key must hold at least 32 characters');
  return [text];
}

/**
 * Reads the signing keys from a Secrets Manager secret (string or binary). The SDK's Secrets Manager
 * client is loaded here, on the first read, not at import: the admission Lambda reads the key only
 * when it first mints a defender token, which many cold starts never do.
 */
export async function loadSigningKeysFromSecret(
  secretId: string,
  client?: Pick<SecretsManagerClient, 'send'>,
): Promise<SigningKey[]> {
  let out: GetSecretValueCommandOutput;
  try {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    out = await (client ?? new sdk.SecretsManagerClient({})).send(
      new sdk.GetSecretValueCommand({ SecretId: secretId }),
    );
  } catch (error) {
    throw new SigningKeyError(`could not read the signing key secret ${secretId}`, { cause: error });
  }
  const text =
    out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
  if (text === undefined) throw new SigningKeyError(`the signing key secret ${secretId} has no value`);
  return parseSigningKeys(text);
}
