import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/admission/errors.js';
import { loadAdmissionSettings } from '../../src/admission/settings.js';

const env = {
  ECS_ADMISSION_STATE_TABLE: 'admission-state',
  ECS_ADMISSION_INDEX_TABLE: 'admission-index',
  ECS_ADMISSION_BUS_NAME: 'ecs-admission',
  ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:signing-key',
};
const { ECS_ADMISSION_SIGNING_KEY_SECRET_ARN: _key, ...withoutKey } = env;

describe('Function: loadAdmissionSettings', () => {
  it('applies the documented defaults', () => {
    // Act
    const s = loadAdmissionSettings(env);

    // Assess
    expect(s).toMatchObject({
      mode: 'audit',
      exclusions: { families: [], clusters: [], services: [] },
      deregisterSource: false,
      claimMs: 900_000,
      ownRoleArns: [],
    });
    expect(s.embed.skipTag).toEqual({ key: 'ecs-admission:skip', value: 'true' });
  });

  it('reads modes, patterns, own roles and embed settings', () => {
    // Act
    const s = loadAdmissionSettings({
      ...env,
      ECS_ADMISSION_MODE: 'enforce',
      ECS_ADMISSION_EXCLUDE_FAMILIES: 'legacy-*, tools',
      ECS_ADMISSION_OWN_ROLE_ARNS: 'arn:aws:iam::111122223333:role/ecs-admission',
      ECS_ADMISSION_DEREGISTER_SOURCE: 'true',
      ECS_ADMISSION_DEFENDER_IMAGE_ARM64: 'reg/defender:arm',
      ECS_ADMISSION_POLICY_URL: 'https://policy.example.com',
      ECS_ADMISSION_SKIP_TAG: 'no-defender=yes',
    });

    // Assess
    expect(s.mode).toBe('enforce');
    expect(s.exclusions.families).toEqual(['legacy-*', 'tools']);
    expect(s.ownRoleArns).toEqual(['arn:aws:iam::111122223333:role/ecs-admission']);
    expect(s.deregisterSource).toBe(true);
    expect(s.embed.images.ARM64).toBe('reg/defender:arm');
    expect(s.embed.policyUrl).toBe('https://policy.example.com');
    expect(s.embed.skipTag).toEqual({ key: 'no-defender', value: 'yes' });
  });

  it('treats empty variables (unset stack parameters) as unset, and reads the cross-account settings', () => {
    // Act
    const s = loadAdmissionSettings({
      ...env,
      ECS_ADMISSION_MODE: '',
      ECS_ADMISSION_DEFENDER_IMAGE_X86_64: '',
      ECS_ADMISSION_SKIP_TAG: '',
      ECS_ADMISSION_ACCOUNT_ID: '111122223333',
      ECS_ADMISSION_MEMBER_ROLE_NAME: 'ecs-admission-member',
      ECS_ADMISSION_MEMBER_EXTERNAL_ID: '',
    });

    // Assess
    expect(s.mode).toBe('audit');
    expect(s.embed.skipTag).toEqual({ key: 'ecs-admission:skip', value: 'true' });
    expect(s.accounts).toEqual({
      ownAccount: '111122223333',
      memberRoleName: 'ecs-admission-member',
      externalId: '',
    });
  });

  const bad: { name: string; env: Record<string, string>; variable: string }[] = [
    {
      name: 'missing table',
      env: { ...env, ECS_ADMISSION_STATE_TABLE: '' },
      variable: 'ECS_ADMISSION_STATE_TABLE',
    },
    { name: 'unknown mode', env: { ...env, ECS_ADMISSION_MODE: 'block' }, variable: 'ECS_ADMISSION_MODE' },
    {
      name: 'bad role ARN',
      env: { ...env, ECS_ADMISSION_OWN_ROLE_ARNS: 'admission' },
      variable: 'ECS_ADMISSION_OWN_ROLE_ARNS',
    },
    {
      name: 'bad boolean',
      env: { ...env, ECS_ADMISSION_DEREGISTER_SOURCE: 'yes' },
      variable: 'ECS_ADMISSION_DEREGISTER_SOURCE',
    },
    {
      name: 'bad number',
      env: { ...env, ECS_ADMISSION_CLAIM_SECONDS: '5' },
      variable: 'ECS_ADMISSION_CLAIM_SECONDS',
    },
    {
      name: 'bad embed JSON',
      env: { ...env, ECS_ADMISSION_EMBED_CONFIG: '{' },
      variable: 'ECS_ADMISSION_EMBED_CONFIG',
    },
    { name: 'no token source', env: withoutKey, variable: 'ECS_ADMISSION_SIGNING_KEY_SECRET_ARN' },
    {
      name: 'no token source (names the alternative)',
      env: { ...withoutKey, ECS_ADMISSION_MODE: 'enforce' },
      variable: 'ECS_ADMISSION_TOKEN_SECRET_ARN',
    },
    {
      name: 'unknown embed key',
      env: { ...env, ECS_ADMISSION_EMBED_CONFIG: '{"sidecarNmae":"x"}' },
      variable: 'sidecarNmae',
    },
  ];

  it.each(bad)('fails fast naming the variable: $name', ({ env: e, variable }) => {
    // Act
    const error = (() => {
      try {
        loadAdmissionSettings(e);
      } catch (err) {
        return err;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toContain(variable);
  });

  it('reads the signing key secret that mints each twin its token', () => {
    // Act
    const s = loadAdmissionSettings(env);

    // Assess
    expect(s.signingKeySecretArn).toBe(env.ECS_ADMISSION_SIGNING_KEY_SECRET_ARN);
    expect(s.embed.token).toBeUndefined();
  });

  const tokenSources: { name: string; env: Record<string, string> }[] = [
    {
      name: 'an account-wide token secret',
      env: {
        ...withoutKey,
        ECS_ADMISSION_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:defender',
      },
    },
    {
      name: 'a literal token in the embed configuration',
      env: { ...withoutKey, ECS_ADMISSION_EMBED_CONFIG: '{"token":"t"}' },
    },
    { name: 'mode off', env: { ...withoutKey, ECS_ADMISSION_MODE: 'off' } },
  ];
  it.each(tokenSources)('starts without a signing key given $name', ({ env: e }) => {
    // Act
    const s = loadAdmissionSettings(e);

    // Assess
    expect(s.signingKeySecretArn).toBeUndefined();
  });

  it('never echoes the token secret ARN value in errors', () => {
    // Act
    const message = (() => {
      try {
        loadAdmissionSettings({ ...env, ECS_ADMISSION_TOKEN_SECRET_ARN: 'not-an-arn-s3cr3t' });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();

    // Assess
    expect(message).toContain('tokenSecretArn');
    expect(message).not.toContain('s3cr3t');
  });
});
