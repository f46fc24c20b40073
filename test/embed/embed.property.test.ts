import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveCommandLine } from '../../src/embed/command-line.js';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { parseCpuUnits, parseMemoryMiB } from '../../src/embed/fargate-size.js';
import type { ImageConfig } from '../../src/embed/image-config.js';
import { LAUNCHER_PATH } from '../../src/embed/layout.js';
import { stripProtection } from '../../src/embed/strip.js';
import { parseTaskDefinitionInput } from '../../src/taskdef/parse-input.js';
import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '../../src/taskdef/types.js';
import { validateAgainstModel } from '../../src/taskdef/validate-model.js';

const IMAGES = ['nginx:1.27', 'redis:7', 'busybox', 'registry.example.com:5000/team/api:2'] as const;
const VOLUMES = ['data', 'cache', 'shared'] as const;
// Small fixed alphabets: fc.stringMatching is slow, and these words cover what matters (paths, flags).
const word = fc.constantFrom(
  'sh',
  '-c',
  'serve',
  '/bin/app',
  '--port=80',
  'x',
  'daemon off;',
  'a b',
  '"q"',
  'é',
);
const argv = fc.array(word, { minLength: 0, maxLength: 4 });
const nonEmptyArgv = fc.array(word, { minLength: 1, maxLength: 4 });
const imageConfig: fc.Arbitrary<ImageConfig> = fc.record({
  entrypoint: fc.option(argv, { nil: null }),
  cmd: fc.option(nonEmptyArgv, { nil: null }),
});

/** One container; `earlier` are the names it may depend on (so the graph has no cycle). */
function container(name: string, earlier: string[]): fc.Arbitrary<ContainerDefinition> {
  return fc
    .record(
      {
        image: fc.constantFrom(...IMAGES),
        entryPoint: argv,
        command: argv,
        essential: fc.boolean(),
        cpu: fc.integer({ min: 0, max: 512 }),
        memoryReservation: fc.integer({ min: 6, max: 512 }),
        environment: fc.uniqueArray(
          fc.record({
            name: fc.constantFrom('PORT', 'MODE', 'LOG_LEVEL', 'ECS_ADMISSION_FAIL_MODE'),
            value: word,
          }),
          { maxLength: 3, selector: (e) => e.name },
        ),
        mountPoints: fc.uniqueArray(
          fc.record({
            sourceVolume: fc.constantFrom(...VOLUMES),
            containerPath: fc.constantFrom('/data', '/var/cache', '/srv/shared'),
            readOnly: fc.boolean(),
          }),
          { maxLength: 2, selector: (m) => m.containerPath },
        ),
        linuxParameters: fc.record(
          {
            initProcessEnabled: fc.boolean(),
            capabilities: fc.record(
              {
                add: fc.subarray(['SYS_PTRACE', 'NET_ADMIN', 'CHOWN']),
                drop: fc.subarray(['NET_RAW', 'MKNOD']),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        dependsOn: fc
          .subarray(earlier)
          .chain((names) =>
            fc.tuple(
              ...names.map((n) =>
                fc
                  .constantFrom('START', 'HEALTHY', 'COMPLETE', 'SUCCESS')
                  .map((condition) => ({ containerName: n, condition })),
              ),
            ),
          ),
        dockerLabels: fc.dictionary(fc.constantFrom('team', 'com.example.app', 'version'), word, {
          maxKeys: 2,
        }),
        user: fc.constantFrom('1000', 'nobody'),
        readonlyRootFilesystem: fc.boolean(),
        firelensConfiguration: fc.constant({ type: 'fluentbit' as const }),
      },
      { requiredKeys: ['image'] },
    )
    .map((c) => {
      const out = { name, ...c } as ContainerDefinition;
      // A FireLens log router is rarer than app containers in practice; keep it only on the first.
      if (name !== 'c0') delete out.firelensConfiguration;
      return out;
    });
}

const task: fc.Arbitrary<RegisterTaskDefinitionRequest> = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => {
    const names = Array.from({ length: n }, (_, i) => `c${i}`);
    return fc.record(
      {
        containers: fc.tuple(...names.map((name, i) => container(name, names.slice(0, i)))),
        size: fc.constantFrom(
          ['256', '512'],
          ['512', '1024'],
          ['1 vcpu', '2 GB'],
          ['1024', '3072'],
          ['2048', '4096'],
          ['256', '4096'],
        ),
        arm: fc.boolean(),
        tags: fc.uniqueArray(
          fc.record({
            key: fc.constantFrom('team', 'env', 'owner'),
            value: fc.constantFrom('web', 'prod', 'x'),
          }),
          { maxLength: 3, selector: (t) => t.key },
        ),
        volumes: fc.boolean(),
      },
      { requiredKeys: ['containers', 'size', 'arm', 'volumes'] },
    );
  })
  .map(({ containers, size, arm, tags, volumes }) => ({
    family: 'prop',
    networkMode: 'awsvpc' as const,
    requiresCompatibilities: ['FARGATE' as const],
    cpu: size[0],
    memory: size[1],
    containerDefinitions: containers,
    ...(volumes || containers.some((c) => c.mountPoints?.length)
      ? { volumes: VOLUMES.map((name) => ({ name })) }
      : {}),
    ...(arm
      ? { runtimePlatform: { cpuArchitecture: 'ARM64' as const, operatingSystemFamily: 'LINUX' as const } }
      : {}),
    ...(tags !== undefined ? { tags } : {}),
  }));

const imageConfigs = fc
  .tuple(...IMAGES.map(() => imageConfig))
  .map(
    (configs) => new Map<string, ImageConfig>(IMAGES.map((image, i) => [image, configs[i] as ImageConfig])),
  );

const config = resolveEmbedConfig({});
const json = (v: unknown) => JSON.stringify(v, null, 2);
const ADDED_TO = new Set(['environment', 'mountPoints', 'dependsOn', 'dockerLabels', 'linuxParameters']);
const REPLACED = new Set(['entryPoint', 'command']);

/** `after` holds everything `before` holds, in the same order, plus possibly more at the end. */
function expectOnlyAdditions(before: unknown, after: unknown): void {
  if (Array.isArray(before)) {
    expect(Array.isArray(after)).toBe(true);
    expect((after as unknown[]).slice(0, before.length)).toEqual(before);
  } else if (before !== null && typeof before === 'object') {
    for (const [key, value] of Object.entries(before))
      expectOnlyAdditions(value, (after as Record<string, unknown>)[key]);
  } else expect(after).toEqual(before);
}

/** Checks every property on one generated case (one transform per case keeps the suite fast). */
function checkCase(input: RegisterTaskDefinitionRequest, images: ReadonlyMap<string, ImageConfig>): void {
  const result = embedTaskDefinition(input, config, images);
  if (result.decision.outcome === 'skipped') {
    // Only a task whose one container is a FireLens log router has nothing to protect.
    expect(input.containerDefinitions.every((c) => c.firelensConfiguration !== undefined)).toBe(true);
    return;
  }
  if (result.decision.outcome !== 'protected') {
    // Generated definitions fail only where no transform could succeed.
    expect(result.decision.outcome).toBe('rejected');
    for (const problem of result.decision.errors ?? []) {
      expect(problem.message).toMatch(
        /no command line|more than the largest Fargate|at least one container must be essential/,
      );
    }
    return;
  }
  const output = result.output as RegisterTaskDefinitionRequest;

  // Idempotency, exact strip, and an output the API model accepts.
  const again = embedTaskDefinition(output, config, images);
  expect(again.decision.outcome).toBe('already-protected');
  expect(json(again.output)).toBe(json(output));
  const normalized = parseTaskDefinitionInput(input);
  expect(normalized.ok && json(stripProtection(output))).toBe(normalized.ok && json(normalized.request));
  expect(validateAgainstModel(output)).toEqual([]);

  // Preservation: original members unchanged, or (where the transform adds) only added to.
  for (const original of input.containerDefinitions) {
    const after = output.containerDefinitions.find((c) => c.name === original.name);
    expect(after).toBeDefined();
    if (original.firelensConfiguration !== undefined) {
      expect(after).toEqual(original);
      continue;
    }
    for (const [key, value] of Object.entries(original)) {
      if (REPLACED.has(key)) continue;
      if (ADDED_TO.has(key)) expectOnlyAdditions(value, after?.[key as keyof ContainerDefinition]);
      else expect(after?.[key as keyof ContainerDefinition]).toEqual(value);
    }
    // The wrapped command line is exactly what Docker would have run.
    const expectedArgv = effectiveCommandLine(original, images.get(original.image ?? ''));
    expect(after?.entryPoint).toEqual([LAUNCHER_PATH, '--', ...(expectedArgv ?? [])]);
    expect(after?.command).toBeUndefined();
  }
  for (const [key, value] of Object.entries(input)) {
    if (key === 'containerDefinitions') continue;
    if (key === 'volumes' || key === 'tags') expectOnlyAdditions(value, output[key]);
    else if (key === 'cpu')
      expect(parseCpuUnits(output.cpu ?? '')).toBeGreaterThanOrEqual(parseCpuUnits(input.cpu ?? '') ?? 0);
    else if (key === 'memory')
      expect(parseMemoryMiB(output.memory ?? '')).toBeGreaterThanOrEqual(
        parseMemoryMiB(input.memory ?? '') ?? 0,
      );
    else expect(output[key as keyof RegisterTaskDefinitionRequest]).toEqual(value);
  }
}

describe('Function: embedTaskDefinition (properties)', () => {
  it('is idempotent, strips back exactly, only adds to containers, and wraps the effective command line', () => {
    let protectedCount = 0;
    fc.assert(
      fc.property(task, imageConfigs, (input, images) => {
        checkCase(input, images);
        if (embedTaskDefinition(input, config, images).decision.outcome === 'protected') protectedCount++;
      }),
      { numRuns: 150 },
    );
    // The generators must mostly produce protectable definitions, or the properties prove little.
    expect(protectedCount).toBeGreaterThan(75);
  });
});
