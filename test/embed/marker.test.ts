import { describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { EMBED_VERSION, inspectProtection } from '../../src/embed/marker.js';
import type { RegisterTaskDefinitionRequest } from '../../src/taskdef/types.js';
import { appContainer, fargateTask } from './fixtures.js';

const config = resolveEmbedConfig({});
function protect(task: RegisterTaskDefinitionRequest): RegisterTaskDefinitionRequest {
  const output = embedTaskDefinition(task, config).output;
  if (output === undefined) throw new Error('fixture protects');
  return output;
}

describe('Function: inspectProtection', () => {
  it('recognises a protected definition from its content, without tags', () => {
    // Prepare
    const { tags: _tags, ...untagged } = protect(fargateTask());
    // Act
    const found = inspectProtection(untagged);
    // Assess
    expect(found).toEqual({
      protected: true,
      current: true,
      embedVersion: EMBED_VERSION,
      source: 'unregistered',
    });
  });

  it('reports an unprotected definition', () => {
    expect(inspectProtection(fargateTask())).toMatchObject({ protected: false, current: false });
  });

  it('is not fooled by a container that merely has the sidecar name', () => {
    expect(
      inspectProtection(fargateTask({}, [appContainer({ name: 'ecs-admission-defender' })])).protected,
    ).toBe(false);
  });

  it('reports an older embed version as not current', () => {
    // Prepare
    const older = JSON.parse(
      JSON.stringify(protect(fargateTask())).replaceAll('\\"version\\":\\"1\\"', '\\"version\\":\\"0\\"'),
    );
    // Act
    const found = inspectProtection(older);
    // Assess
    expect(found).toMatchObject({ protected: true, current: false, embedVersion: '0' });
    expect(found.reason).toMatch(/embed version 0/);
  });

  it('reports a container added after protection as not current', () => {
    // Prepare
    const task = protect(fargateTask());
    task.containerDefinitions.push(appContainer({ name: 'late' }));
    // Act
    const found = inspectProtection(task);
    // Assess
    expect(found).toMatchObject({ protected: true, current: false });
    expect(found.reason).toMatch(/"late"/);
  });

  it('reports a wrapped container whose entryPoint was replaced', () => {
    // Prepare
    const task = protect(fargateTask());
    const app = task.containerDefinitions[0];
    if (app) app.entryPoint = ['/other'];
    // Act / Assess
    expect(inspectProtection(task).current).toBe(false);
  });

  it('reports a missing task volume', () => {
    // Prepare
    const task = protect(fargateTask());
    task.volumes = [];
    // Act / Assess
    expect(inspectProtection(task)).toMatchObject({
      current: false,
      reason: expect.stringMatching(/volume/),
    });
  });
});
