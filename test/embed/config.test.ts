import { describe, expect, it } from 'vitest';
import { DEFAULT_DEFENDER_IMAGE, DEFAULT_POLICY_URL, resolveEmbedConfig } from '../../src/embed/config.js';
import { EmbedConfigError } from '../../src/embed/errors.js';

describe('Function: resolveEmbedConfig', () => {
  it('applies every default to an empty configuration', () => {
    expect(resolveEmbedConfig({})).toEqual({
      images: { X86_64: DEFAULT_DEFENDER_IMAGE, ARM64: DEFAULT_DEFENDER_IMAGE },
      sidecarName: 'ecs-admission-defender',
      sidecarCpu: 128,
      sidecarMemoryReservation: 128,
      sidecarEnvironment: {},
      policyUrl: DEFAULT_POLICY_URL,
      resize: true,
      essential: true,
      includeEc2: false,
      skipTag: { key: 'ecs-admission:skip', value: 'true' },
      excludeContainers: [],
      pinDigests: false,
      resolveImages: true,
      waas: { enabled: false },
    });
  });

  it('keeps the other architecture default when one image is set', () => {
    expect(resolveEmbedConfig({ images: { ARM64: 'x:arm' } }).images).toEqual({
      X86_64: DEFAULT_DEFENDER_IMAGE,
      ARM64: 'x:arm',
    });
  });

  it.each([
    [{ sidecarNmae: 'x' }, 'sidecarNmae', /unknown field/],
    [{ images: { X86: 'x' } }, 'images.X86', /unknown field/],
    [{ sidecarCpu: 'lots' }, 'sidecarCpu', /expected a number/],
    [{ sidecarName: 'bad name' }, 'sidecarName', /pattern/],
    [{ policyUrl: 'ftp://x' }, 'policyUrl', /./],
    [
      { token: 't', tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' },
      'tokenSecretArn',
      /not both/,
    ],
    [{ tokenSecretArn: 'my-secret' }, 'tokenSecretArn', /arn:aws/],
    [
      { sidecarEnvironment: { ECS_ADMISSION_TOKEN: 'x' } },
      'sidecarEnvironment.ECS_ADMISSION_TOKEN',
      /set by the transform/,
    ],
    [{ skipTag: { key: 'k' } }, 'skipTag.value', /required/],
    [{ waas: { enabled: true } }, 'waas.exposedPort', /required when WAAS is enabled/],
    [
      { waas: { enabled: true, exposedPort: 80, appPort: 80 } },
      'waas.exposedPort',
      /must differ from appPort/,
    ],
    [{ waas: { exposedPort: 70000 } }, 'waas.exposedPort', /./],
    [{ waas: { enabled: true, exposedPort: 8080, port: 80 } }, 'waas.port', /unknown field/],
    [{ waas: { enabled: true, exposedPort: 8080, container: 'a b' } }, 'waas.container', /pattern/],
  ])('rejects %j naming %s', (partial, path, message) => {
    // Act
    let error: unknown;
    try {
      resolveEmbedConfig(partial);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(EmbedConfigError);
    const problem = (error as EmbedConfigError).problems.find((p) => p.path === path);
    expect(problem?.message).toMatch(message);
  });
});
