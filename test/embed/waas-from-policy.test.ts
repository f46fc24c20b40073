import { describe, expect, it } from 'vitest';
import type { WaasOption } from '../../src/embed/config.js';
import { waasOptionForTask, waasOptionFromPolicy } from '../../src/embed/waas-from-policy.js';
import type { CompiledWaas } from '../../src/policy/compiled-policy.js';

const section = (fields: Partial<CompiledWaas>): CompiledWaas => ({
  effect: 'prevent',
  protections: ['sqli'],
  paranoiaLevel: 1,
  ...fields,
});

describe('Function: waasOptionFromPolicy', () => {
  const base: WaasOption = { enabled: false, container: 'web' };

  it('keeps the configured option without a waas section', () => {
    expect(waasOptionFromPolicy(undefined, base)).toBe(base);
  });

  it.each(['alert', 'prevent'] as const)('enables WAAS on the section ports for effect %s', (effect) => {
    // Act
    const option = waasOptionFromPolicy(section({ effect, exposedPort: 8080, appPort: 80 }), base);
    // Assess
    expect(option).toEqual({ enabled: true, exposedPort: 8080, appPort: 80, container: 'web' });
  });

  it('keeps a configured app port when the section names only the exposed port', () => {
    // Act
    const option = waasOptionFromPolicy(section({ exposedPort: 8443 }), { enabled: false, appPort: 3000 });
    // Assess
    expect(option).toEqual({ enabled: true, exposedPort: 8443, appPort: 3000 });
  });

  it('turns WAAS off for effect disable, even when the configuration enables it', () => {
    // Act
    const option = waasOptionFromPolicy(section({ effect: 'disable', exposedPort: 8080 }), {
      enabled: true,
      exposedPort: 8080,
    });
    // Assess
    expect(option.enabled).toBe(false);
  });

  it('keeps the configured option when the section has no exposed port', () => {
    // Prepare
    const enabled: WaasOption = { enabled: true, exposedPort: 9000 };
    // Act / Assess
    expect(waasOptionFromPolicy(section({ appPort: 80 }), enabled)).toBe(enabled);
  });
});

describe('Function: waasOptionForTask', () => {
  const base: WaasOption = { enabled: false };
  const containers = [
    { name: 'log-router', image: 'fluent-bit' },
    { name: 'web', image: 'nginx:1.27' },
  ];

  it('takes the ports of the first container whose policy enables WAAS', () => {
    // Prepare
    const waasFor = (c: { name: string }) =>
      c.name === 'web' ? section({ exposedPort: 8080, appPort: 80 }) : undefined;
    // Act
    const option = waasOptionForTask(containers, waasFor, base);
    // Assess
    expect(option).toEqual({ enabled: true, exposedPort: 8080, appPort: 80 });
  });

  it("lets an enabling policy win over another container's disable", () => {
    // Prepare
    const waasFor = (c: { name: string }) =>
      c.name === 'web' ? section({ effect: 'alert', exposedPort: 8080 }) : section({ effect: 'disable' });
    // Act / Assess
    expect(waasOptionForTask(containers, waasFor, base)).toMatchObject({ enabled: true, exposedPort: 8080 });
  });

  it('turns a configured WAAS off when a policy disables it and none enables it', () => {
    // Act
    const option = waasOptionForTask(containers, () => section({ effect: 'disable' }), {
      enabled: true,
      exposedPort: 8080,
    });
    // Assess
    expect(option.enabled).toBe(false);
  });

  it('keeps the configured option when no container has a waas section', () => {
    // Prepare
    const configured: WaasOption = { enabled: true, exposedPort: 9000 };
    // Act / Assess
    expect(waasOptionForTask(containers, () => undefined, configured)).toBe(configured);
  });

  it("passes each container's name and image to the policy look-up", () => {
    // Prepare
    const seen: unknown[] = [];
    // Act
    waasOptionForTask(
      containers,
      (c) => {
        seen.push(c);
        return undefined;
      },
      base,
    );
    // Assess
    expect(seen).toEqual(containers);
  });
});
