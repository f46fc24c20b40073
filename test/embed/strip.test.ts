import { describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { StripError } from '../../src/embed/errors.js';
import { stripProtection } from '../../src/embed/strip.js';
import { appContainer, fargateTask } from './fixtures.js';

const config = resolveEmbedConfig({});

describe('Function: stripProtection', () => {
  it('returns an unprotected definition as it is', () => {
    expect(stripProtection(fargateTask())).toEqual(fargateTask());
  });

  it('keeps what was added to a protected definition after the fact', () => {
    // Prepare
    const output = embedTaskDefinition(fargateTask(), config).output;
    if (!output) throw new Error('fixture protects');
    const app = output.containerDefinitions[0];
    app?.environment?.push({ name: 'LATER', value: '1' });
    // Act
    const stripped = stripProtection(output);
    // Assess
    expect(stripped.containerDefinitions[0]?.environment).toEqual([{ name: 'LATER', value: '1' }]);
    expect(stripped.containerDefinitions[0]?.entryPoint).toEqual(appContainer().entryPoint);
    expect(stripped.containerDefinitions).toHaveLength(1);
  });

  it('restores the original task size and a SYS_PTRACE that was already there', () => {
    // Prepare
    const original = fargateTask({ cpu: '256', memory: '512' }, [
      appContainer({ cpu: 256, memory: 512, linuxParameters: { capabilities: { add: ['SYS_PTRACE'] } } }),
    ]);
    const output = embedTaskDefinition(original, config).output;
    if (!output) throw new Error('fixture protects');
    // Act
    const stripped = stripProtection(output);
    // Assess
    expect([output.cpu, output.memory]).toEqual(['512', '1024']);
    expect(stripped).toEqual(original);
  });

  it('throws a StripError naming the label when a marker is malformed', () => {
    // Prepare
    const output = embedTaskDefinition(fargateTask(), config).output;
    const labels = output?.containerDefinitions[0]?.dockerLabels;
    if (!output || !labels) throw new Error('fixture protects');
    labels['ecs-admission.wrapped'] = '{"version":1}';
    // Act / Assess
    expect(() => stripProtection(output)).toThrow(StripError);
    expect(() => stripProtection(output)).toThrow(
      /container "app" has a malformed ecs-admission.wrapped label/,
    );
  });
});
