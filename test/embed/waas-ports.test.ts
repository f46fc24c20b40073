import { describe, expect, it } from 'vitest';
import { resolveEmbedConfig } from '../../src/embed/config.js';
import { embedTaskDefinition } from '../../src/embed/embed.js';
import { stripProtection } from '../../src/embed/strip.js';
import { planWaasPorts } from '../../src/embed/waas-ports.js';
import { parseTaskDefinitionInput } from '../../src/taskdef/parse-input.js';
import type {
  ContainerDefinition,
  PortMapping,
  RegisterTaskDefinitionRequest,
} from '../../src/taskdef/types.js';
import { fargateTask } from './fixtures.js';

const json = (v: unknown) => JSON.stringify(v, null, 2);

/** The shared Fargate fixture, with the containers first since every case here names them. */
const task = (containers: ContainerDefinition[], extra: Partial<RegisterTaskDefinitionRequest> = {}) =>
  fargateTask(extra, containers);

function app(name: string, portMappings?: PortMapping[]): ContainerDefinition {
  return {
    name,
    image: `${name}:1`,
    entryPoint: [`/bin/${name}`],
    ...(portMappings !== undefined ? { portMappings } : {}),
  };
}

const waasConfig = (waas: Record<string, unknown>) =>
  resolveEmbedConfig({ waas: { enabled: true, exposedPort: 8080, ...waas } });

/** Both containers wrapped. */
const ALL = (request: RegisterTaskDefinitionRequest) =>
  new Set(request.containerDefinitions.map((_, i) => i));

describe('Function: planWaasPorts', () => {
  it('is off unless the option enables WAAS', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }])]);
    // Act
    const plan = planWaasPorts(request, resolveEmbedConfig({}).waas, ALL(request));
    // Assess
    expect(plan).toEqual({ kind: 'off' });
  });

  it('takes the only TCP port mapped when appPort is not set, and carries its name and appProtocol', () => {
    // Prepare
    const request = task([
      app('worker', [{ containerPort: 514, protocol: 'udp' }]),
      app('web', [{ containerPort: 3000, protocol: 'tcp', name: 'http', appProtocol: 'http' }]),
    ]);
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, ALL(request));
    // Assess
    expect(plan).toMatchObject({
      kind: 'apply',
      container: 1,
      remove: [0],
      sidecarMapping: { containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' },
    });
  });

  it('removes every TCP mapping of the app port, keeping UDP on the same port', () => {
    // Prepare
    const request = task([
      app('web', [
        { containerPort: 80, protocol: 'tcp' },
        { containerPort: 80, protocol: 'udp' },
        { containerPort: 9090 },
        { containerPort: 80, name: 'again' },
      ]),
    ]);
    // Act
    const plan = planWaasPorts(request, waasConfig({ appPort: 80 }).waas, ALL(request));
    // Assess
    expect(plan).toMatchObject({ kind: 'apply', container: 0, remove: [0, 3] });
  });

  it('rejects several candidate ports, naming them and the fix', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }]), app('api', [{ containerPort: 3000 }])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, ALL(request));
    // Assess
    expect(plan.kind).toBe('reject');
    expect(plan.kind === 'reject' && plan.problems[0]?.message).toMatch(
      /several TCP ports \(80 in "web", 3000 in "api"\); set waas\.appPort/,
    );
  });

  it('picks the named container with waas.container', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }]), app('api', [{ containerPort: 3000 }])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({ container: 'api' }).waas, ALL(request));
    // Assess
    expect(plan).toMatchObject({ kind: 'apply', container: 1, remove: [0] });
  });

  it.each([
    [
      'no TCP port is mapped',
      [app('job', [{ containerPort: 514, protocol: 'udp' }])],
      {},
      /no app container maps a TCP port/,
    ],
    [
      'the app port is not mapped',
      [app('web', [{ containerPort: 80 }])],
      { appPort: 3000 },
      /maps TCP port 3000/,
    ],
    [
      'the named container is missing',
      [app('web', [{ containerPort: 80 }])],
      { container: 'api' },
      /no container "api"/,
    ],
  ])('leaves WAAS off with a note when %s', (_what, containers, waas, message) => {
    // Prepare
    const request = task(containers);
    // Act
    const plan = planWaasPorts(request, waasConfig(waas).waas, ALL(request));
    // Assess
    expect(plan.kind).toBe('skip');
    expect(plan.kind === 'skip' && plan.note).toMatchObject({
      kind: 'note',
      message: expect.stringMatching(message),
    });
  });

  it('leaves WAAS off when the container with the port is not wrapped', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }]), app('vendor', [])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({ container: 'web' }).waas, new Set([1]));
    // Assess
    expect(plan.kind === 'skip' && plan.note.message).toMatch(/"web" \(waas\.container\) is not wrapped/);
  });

  it.each([
    ['containerPort', { containerPort: 8080 }],
    ['hostPort', { containerPort: 8081, hostPort: 8080 }],
    ['containerPortRange', { containerPortRange: '8000-8100' }],
  ])('rejects an exposed port another container maps by %s', (_what, mapping) => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }]), app('admin', [mapping])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({ appPort: 80 }).waas, ALL(request));
    // Assess
    expect(plan).toEqual({
      kind: 'reject',
      problems: [
        {
          path: 'containerDefinitions[1].portMappings[0]',
          message: expect.stringMatching(
            /exposed port 8080 is already mapped by container "admin"; choose another/,
          ),
        },
      ],
    });
  });

  it('rejects a second container mapping the app port, which would bypass the proxy', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }]), app('vendor', [{ containerPort: 80 }])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, new Set([0]));
    // Assess
    expect(plan.kind === 'reject' && plan.problems).toEqual([
      {
        path: 'containerDefinitions[1].portMappings[0]',
        message: expect.stringMatching(/"vendor" also maps port 80, which the proxy takes from "web"/),
      },
    ]);
  });

  it('rejects an App Mesh proxy intercepting the app port, asking for the exposed port in AppPorts', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }]), app('envoy')], {
      proxyConfiguration: {
        type: 'APPMESH',
        containerName: 'envoy',
        properties: [
          { name: 'IgnoredUID', value: '1337' },
          { name: 'AppPorts', value: '443, 80' },
        ],
      },
    });
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, new Set([0]));
    // Assess
    expect(plan.kind === 'reject' && plan.problems).toEqual([
      {
        path: 'proxyConfiguration.properties[1].value',
        message: expect.stringMatching(/intercepts port 80 \(AppPorts\).*list 8080 in AppPorts instead/),
      },
    ]);
  });

  it('does not count a UDP mapping of the exposed port as a collision', () => {
    // Prepare
    const request = task([
      app('web', [{ containerPort: 80 }]),
      app('dns', [{ containerPort: 8080, protocol: 'udp' }]),
    ]);
    // Act
    const plan = planWaasPorts(request, waasConfig({ appPort: 80 }).waas, ALL(request));
    // Assess
    expect(plan.kind).toBe('apply');
  });

  it('rejects a defaulted app port equal to the exposed port', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 8080 }])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, ALL(request));
    // Assess
    expect(plan.kind === 'reject' && plan.problems.map((p) => p.path)).toEqual([
      'containerDefinitions[0].portMappings[0].containerPort',
    ]);
  });

  it.each([
    ['bridge', { networkMode: 'bridge' as const }, /uses bridge/],
    ['host', { networkMode: 'host' as const }, /uses host/],
    ['unset', {}, /uses the default \(bridge\)/],
  ])('rejects network mode %s', (_mode, extra, message) => {
    // Prepare
    const request = task([app('web', [{ containerPort: 80 }])]);
    delete request.networkMode;
    Object.assign(request, extra);
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, ALL(request));
    // Assess
    expect(plan.kind === 'reject' && plan.problems).toEqual([
      { path: 'networkMode', message: expect.stringMatching(message) },
    ]);
  });

  it('rejects an app port served over grpc, which the HTTP/1.1 proxy cannot carry', () => {
    // Prepare
    const request = task([app('web', [{ containerPort: 50051, appProtocol: 'grpc' }])]);
    // Act
    const plan = planWaasPorts(request, waasConfig({}).waas, ALL(request));
    // Assess
    expect(plan.kind === 'reject' && plan.problems[0]?.path).toBe(
      'containerDefinitions[0].portMappings[0].appProtocol',
    );
  });
});

describe('Function: embedTaskDefinition (WAAS)', () => {
  const input = task([
    app('web', [
      { containerPort: 9113, name: 'metrics' },
      { containerPort: 80, hostPort: 80, protocol: 'tcp', name: 'http', appProtocol: 'http' },
      { containerPort: 443 },
    ]),
    app('worker'),
  ]);
  const config = waasConfig({ appPort: 80 });

  it('moves the app mapping to the sidecar and says so in the decision', () => {
    // Act
    const result = embedTaskDefinition(input, config);
    // Assess
    expect(result.decision.outcome).toBe('protected');
    const [web, worker, sidecar] = result.output?.containerDefinitions ?? [];
    expect(web?.portMappings).toEqual([{ containerPort: 9113, name: 'metrics' }, { containerPort: 443 }]);
    expect(worker?.portMappings).toBeUndefined();
    expect(sidecar?.portMappings).toEqual([
      { containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' },
    ]);
    const kinds = result.decision.changes.map((c) => [c.kind, c.path]);
    expect(kinds).toContainEqual(['remove-port', 'containerDefinitions[0].portMappings']);
    expect(kinds).toContainEqual(['waas-port', 'containerDefinitions[2].portMappings[0]']);
    const waasChange = result.decision.changes.find((c) => c.kind === 'waas-port');
    expect(waasChange?.message).toMatch(/target groups and security group rules at 8080/);
  });

  it('strips back to the original mappings, in their places, and re-embeds byte for byte', () => {
    // Prepare
    const parsed = parseTaskDefinitionInput(input);
    if (!parsed.ok) throw new Error('the input parses');
    const output = embedTaskDefinition(input, config).output as RegisterTaskDefinitionRequest;
    // Act
    const stripped = stripProtection(output);
    const again = embedTaskDefinition(output, config);
    const fromStripped = embedTaskDefinition(stripped, config);
    // Assess
    expect(json(stripped)).toBe(json(parsed.request));
    expect(again.decision.outcome).toBe('already-protected');
    expect(json(again.output)).toBe(json(output));
    expect(json(fromStripped.output)).toBe(json(output));
  });

  it('keeps an emptied portMappings list, which strip fills again', () => {
    // Prepare
    const single = task([app('web', [{ containerPort: 80 }])]);
    // Act
    const output = embedTaskDefinition(single, config).output as RegisterTaskDefinitionRequest;
    // Assess
    expect(output.containerDefinitions[0]?.portMappings).toEqual([]);
    expect(stripProtection(output).containerDefinitions[0]?.portMappings).toEqual([{ containerPort: 80 }]);
  });

  it('protects a task with no port to protect without WAAS, noting why', () => {
    // Prepare
    const noPorts = task([app('job')]);
    // Act
    const result = embedTaskDefinition(noPorts, config);
    // Assess
    expect(result.decision.outcome).toBe('protected');
    expect(result.output?.containerDefinitions.at(-1)?.portMappings).toBeUndefined();
    expect(result.decision.changes).toContainEqual({
      kind: 'note',
      path: 'containerDefinitions',
      message: 'WAAS left off: no app container maps TCP port 80',
    });
  });

  it('rejects a collision as cannot-protect, with the other problems found', () => {
    // Prepare
    const colliding = task([
      app('web', [{ containerPort: 80 }]),
      app('ecs-admission-defender', [{ containerPort: 8080 }]),
    ]);
    // Act
    const result = embedTaskDefinition(colliding, config);
    // Assess
    expect(result.rejection).toBe('cannot-protect');
    expect(result.decision.errors?.map((e) => e.path)).toEqual([
      'containerDefinitions[1].name',
      'containerDefinitions[1].portMappings[0]',
    ]);
  });
});

describe('Function: embedTaskDefinition (WAAS option changed since)', () => {
  const input = task([app('web', [{ containerPort: 80 }]), app('worker')]);
  const off = resolveEmbedConfig({});
  const on = waasConfig({ appPort: 80 });
  const embedded = (config: typeof off) =>
    embedTaskDefinition(input, config).output as RegisterTaskDefinitionRequest;

  it.each([
    ['turned on', off, on, `re-embedded: WAAS now takes "web"'s web port`],
    ['turned off', on, off, 're-embedded: WAAS is off for it now'],
    [
      'given other ports',
      on,
      waasConfig({ exposedPort: 9443, appPort: 80 }),
      're-embedded: its WAAS ports changed',
    ],
  ])('re-embeds a protected definition when WAAS is %s', (_what, before, after, reason) => {
    // Prepare
    const protectedBefore = embedded(before);
    // Act
    const result = embedTaskDefinition(protectedBefore, after);
    // Assess
    expect(result.decision.outcome).toBe('protected');
    expect(result.decision.reason).toBe(reason);
    expect(result.decision.changes[0]?.kind).toBe('strip');
    expect(json(result.output)).toBe(json(embedded(after)));
  });

  it('leaves a protected definition alone when WAAS has nothing to take, as before', () => {
    // Prepare
    const noPorts = task([app('job')]);
    const protectedBefore = embedTaskDefinition(noPorts, off).output;
    // Act
    const result = embedTaskDefinition(protectedBefore, on);
    // Assess
    expect(result.decision.outcome).toBe('already-protected');
  });

  it('leaves a protected definition alone when WAAS could now not be applied to it', () => {
    // Prepare
    const colliding = task([app('web', [{ containerPort: 80 }]), app('admin', [{ containerPort: 8080 }])]);
    const protectedBefore = embedTaskDefinition(colliding, off).output;
    // Act
    const result = embedTaskDefinition(protectedBefore, on);
    // Assess
    expect(result.decision.outcome).toBe('already-protected');
  });
});
