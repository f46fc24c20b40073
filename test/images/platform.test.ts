import { describe, expect, it } from 'vitest';
import { parsePlatform, platformForRuntimePlatform, selectPlatformEntry } from '../../src/images/platform.js';

const entries = [
  { name: 'attestation', platform: { os: 'unknown', architecture: 'unknown' } },
  { name: 'amd64', platform: { os: 'linux', architecture: 'amd64' } },
  { name: 'amd64v3', platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
  { name: 'armv7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  { name: 'arm64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  { name: 'windows', platform: { os: 'windows', architecture: 'amd64' } },
];

describe('Function: selectPlatformEntry', () => {
  it('picks the baseline amd64 manifest over a v3 one', () => {
    expect(selectPlatformEntry(entries, { os: 'linux', architecture: 'amd64' })?.name).toBe('amd64');
  });

  it('picks the arm64 v8 manifest with or without a variant asked for', () => {
    expect(selectPlatformEntry(entries, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.name).toBe(
      'arm64',
    );
    expect(selectPlatformEntry(entries, { os: 'linux', architecture: 'arm64' })?.name).toBe('arm64');
  });

  it('treats an arm64 entry without a variant as v8', () => {
    // Prepare
    const plain = [{ name: 'arm64', platform: { os: 'linux', architecture: 'arm64' } }];

    // Act / Assess
    expect(selectPlatformEntry(plain, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.name).toBe(
      'arm64',
    );
  });

  it('finds nothing when the architecture is missing, and never picks an attestation', () => {
    // Prepare
    const amdOnly = entries.filter((e) => e.name === 'attestation' || e.name === 'amd64');

    // Act / Assess
    expect(selectPlatformEntry(amdOnly, { os: 'linux', architecture: 'arm64' })).toBeUndefined();
  });
});

describe('Function: platformForRuntimePlatform', () => {
  it('maps ECS cpuArchitecture to an OCI platform, amd64 by default', () => {
    expect(platformForRuntimePlatform(undefined)).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(platformForRuntimePlatform({ cpuArchitecture: 'X86_64' })).toEqual({
      os: 'linux',
      architecture: 'amd64',
    });
    expect(platformForRuntimePlatform({ cpuArchitecture: 'ARM64' })).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
  });
});

describe('Function: parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
  ])('parses %s', (text, platform) => {
    expect(parsePlatform(text)).toEqual(platform);
  });

  it.each(['windows/amd64', 'linux/s390x', 'linux/arm64/v8/x'])(
    'rejects %s with the accepted forms',
    (text) => {
      expect(() => parsePlatform(text)).toThrow('use linux/amd64, linux/arm64 or linux/arm64/v8');
    },
  );
});
