import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadSigningKeysFromSecret,
  parseSigningKeys,
  SigningKeyError,
} from '../../src/policy/signing-key.js';

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

describe('Function: parseSigningKeys', () => {
  it('reads a plain key and a rotation list', () => {
    expect(parseSigningKeys(`${'a'.repeat(40)}\n`)).toEqual(['a'.repeat(40)]);
    expect(parseSigningKeys(JSON.stringify({ keys: ['n'.repeat(32), 'o'.repeat(32)] }))).toEqual([
      'n'.repeat(32),
      'o'.repeat(32),
    ]);
  });

  it('refuses a short key without quoting it', () => {
    expect(() => parseSigningKeys('hunter2')).toThrow(SigningKeyError);
    expect(() => parseSigningKeys('hunter2')).not.toThrow(/hunter2/);
  });
});

describe('Function: loadSigningKeysFromSecret', () => {
  it('reads the key from Secrets Manager', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:key' }).resolves({ SecretString: 's'.repeat(32) });
    expect(
      await loadSigningKeysFromSecret('arn:key', new SecretsManagerClient({ region: 'us-east-1' })),
    ).toEqual(['s'.repeat(32)]);
  });

  it('names the secret when it cannot be read', async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDenied'));
    await expect(
      loadSigningKeysFromSecret('arn:key', new SecretsManagerClient({ region: 'us-east-1' })),
    ).rejects.toThrow('could not read the signing key secret arn:key');
  });
});
