import { describe, expect, it } from 'vitest';
import { AgentSettingsError, loadSettings } from '../../../sidecar/agent/settings.js';

const base = {
  ECS_ADMISSION_POLICY_URL: 'http://127.0.0.1:8080/',
  ECS_ADMISSION_TOKEN: 'secret-token-value',
  ECS_ADMISSION_FAMILY: 'web',
  ECS_ADMISSION_CONTAINERS: '[{"name":"app","image":"nginx:1"}]',
};

describe('Function: loadSettings', () => {
  it('applies the task layout defaults and trims the policy URL', () => {
    // Act
    const settings = loadSettings(base);

    // Assess
    expect(settings).toMatchObject({
      policyUrl: 'http://127.0.0.1:8080',
      rootDir: '/ecs-admission',
      auditDir: '/ecs-admission-audit',
      stateDir: '/ecs-admission/state',
      containers: [{ name: 'app', image: 'nginx:1' }],
      pollMs: 30_000,
      batchMaxRecords: 100,
      batchMaxBytes: 256 * 1024,
    });
  });

  it('takes overridden paths and bounds from the environment', () => {
    // Act
    const settings = loadSettings({
      ...base,
      ECS_ADMISSION_ROOT_DIR: '/tmp/r',
      ECS_ADMISSION_BUFFER_MAX_BYTES: '10000',
      ECS_ADMISSION_POLL_SECONDS: '5',
    });

    // Assess
    expect(settings).toMatchObject({
      rootDir: '/tmp/r',
      stateDir: '/tmp/r/state',
      bufferMaxBytes: 10000,
      pollMs: 5000,
    });
  });

  it('names the variable when the container list is not JSON', () => {
    // Act / Assess
    expect(() => loadSettings({ ...base, ECS_ADMISSION_CONTAINERS: 'app' })).toThrow(
      /ECS_ADMISSION_CONTAINERS: not JSON/,
    );
  });

  it('names the field of a bad container entry', () => {
    // Act / Assess
    expect(() => loadSettings({ ...base, ECS_ADMISSION_CONTAINERS: '[{"name":"app"}]' })).toThrow(
      /ECS_ADMISSION_CONTAINERS\[0\]\["image"\]/,
    );
  });

  it('refuses a batch size above the service limit', () => {
    // Act / Assess
    expect(() => loadSettings({ ...base, ECS_ADMISSION_BATCH_MAX_RECORDS: '500' })).toThrow(
      /ECS_ADMISSION_BATCH_MAX_RECORDS/,
    );
  });

  it('never echoes the token in its errors', () => {
    // Act
    let error: unknown;
    try {
      loadSettings({ ...base, ECS_ADMISSION_POLICY_URL: 'not a url secret-token-value' });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(AgentSettingsError);
    expect((error as Error).message).toMatch(/ECS_ADMISSION_POLICY_URL/);
    expect((error as Error).message).not.toContain('secret-token-value');
  });
});
