import { describe, expect, it } from 'vitest';
import { ImageResolutionError } from '../../../src/embed/errors.js';
import type { ImageConfigResolver } from '../../../src/embed/image-config.js';
import { SIDECAR_ENV } from '../../../src/embed/layout.js';
import { verifyDefenderToken } from '../../../src/policy/defender-token.js';
import { embedRoute } from '../../../src/policy/http/embed-route.js';
import { createRouter } from '../../../src/policy/http/router.js';
import type { HttpRequest } from '../../../src/policy/http/types.js';
import { PolicyView } from '../../../src/policy/policy-cache.js';
import type { Rule } from '../../../src/policy/rules-schema.js';
import { appContainer, fargateTask } from '../../embed/fixtures.js';

const KEY = 'embed-route-signing-key-0123456789abcdef';
const seedsTask = {
  requiresCompatibilities: ['FARGATE'],
  containerDefinitions: [
    {
      entryPoint: ['entry.sh'],
      portMappings: [],
      command: null,
      image: 'matthewabq/twistlock-fargate-auto',
      name: 'twistlock-fargate-task',
    },
  ],
  family: 'twistlock-fargate-task',
  volumes: [],
  networkMode: 'awsvpc',
  memory: '512',
  cpu: '256',
};

function router(
  config: unknown = {},
  resolver?: ImageConfigResolver,
  policies?: { current(): PolicyView | Promise<PolicyView> },
) {
  const route = embedRoute({
    config,
    ...(policies ? { policies } : {}),
    signingKeys: [KEY],
    defaultAccount: '000000000000',
    policyUrlFor: () => 'http://127.0.0.1:9999',
    ...(resolver ? { resolver } : {}),
  });
  return createRouter([route], {
    auth: {
      defender: () => {
        throw new Error('unused');
      },
      admin: () => undefined,
    },
  });
}

const post = (body: unknown, query: Record<string, string> = {}): HttpRequest => ({
  method: 'POST',
  path: '/v1/embed',
  query,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

type Env = { name: string; value: string }[];

describe('Function: embedRoute', () => {
  it('protects the seeds sample and mints a token for its family and the given account', async () => {
    // Act
    const response = await router()(post(seedsTask, { account: '123456789012' }));

    // Assess
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body) as {
      taskDefinition: { containerDefinitions: { name: string; environment?: Env }[] };
      decision: { outcome: string };
    };
    expect(body.decision.outcome).toBe('protected');
    const sidecar = body.taskDefinition.containerDefinitions.find((c) => c.name === 'ecs-admission-defender');
    const env = new Map((sidecar?.environment ?? []).map((e) => [e.name, e.value]));
    expect(env.get(SIDECAR_ENV.policyUrl)).toBe('http://127.0.0.1:9999');
    const claims = verifyDefenderToken(env.get(SIDECAR_ENV.token) ?? '', KEY, {
      family: 'twistlock-fargate-task',
    });
    expect(claims.account).toBe('123456789012');
  });

  it('answers 400 with the decision for input that is not a task definition', async () => {
    const response = await router()(post({ hello: 'world' }));
    const body = JSON.parse(response.body) as {
      error: string;
      decision: { outcome: string };
      problems: unknown[];
    };
    expect(response.status).toBe(400);
    expect(body.error).toBe('invalid_input');
    expect(body.decision.outcome).toBe('rejected');
    expect(body.problems.length).toBeGreaterThan(0);
  });

  it('answers 422 with the reasons for a valid task definition that cannot be protected', async () => {
    const noEntryPoint = { ...seedsTask, containerDefinitions: [{ name: 'app', image: 'busybox' }] };
    const response = await router({ resize: false, resolveImages: false })(post(noEntryPoint));
    const body = JSON.parse(response.body) as { error: string; problems: { path: string }[] };
    expect(response.status).toBe(422);
    expect(body.error).toBe('cannot_protect');
    expect(body.problems[0]?.path).toMatch(/containerDefinitions\[0\]/);
  });

  it('wraps the image ENTRYPOINT and CMD it looks up for a container without entryPoint', async () => {
    const looked: string[] = [];
    const resolver: ImageConfigResolver = async (image) => {
      looked.push(image);
      return { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] };
    };
    const task = { ...seedsTask, containerDefinitions: [{ name: 'web', image: 'nginx:1.27' }] };
    const response = await router({}, resolver)(post(task));
    const body = JSON.parse(response.body) as {
      taskDefinition: { containerDefinitions: { name: string; entryPoint?: string[] }[] };
    };
    expect(response.status).toBe(200);
    expect(looked).toEqual(['nginx:1.27']);
    expect(body.taskDefinition.containerDefinitions.find((c) => c.name === 'web')?.entryPoint).toEqual([
      '/ecs-admission/bin/launcher',
      '--',
      '/docker-entrypoint.sh',
      'nginx',
      '-g',
      'daemon off;',
    ]);
  });

  it('answers 422 naming the container when the image cannot be looked up', async () => {
    const resolver: ImageConfigResolver = async (image) => {
      throw new ImageResolutionError('web', image, 'registry answered 404');
    };
    const task = { ...seedsTask, containerDefinitions: [{ name: 'web', image: 'nginx:nope' }] };
    const response = await router({}, resolver)(post(task));
    expect(response.status).toBe(422);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'image_lookup_failed' });
    expect(response.body).toContain('registry answered 404');
  });

  it('refuses an invalid embed configuration when the route is created', () => {
    expect(() => router({ sidecarCpu: 'lots' })).toThrow(/sidecarCpu/);
  });

  describe('with the rules (WAAS decided by policy)', () => {
    const webTask = fargateTask({}, [
      appContainer({ portMappings: [{ containerPort: 80, protocol: 'tcp' }] }),
    ]);
    const rules = (waas: Rule['waas']): PolicyView =>
      new PolicyView({ version: '3', rules: [{ name: 'web-waas', scope: { families: ['web'] }, waas }] });

    it("gives the sidecar the policy's exposed port and removes the app's mapping", async () => {
      // Act
      const response = await router({}, undefined, {
        current: () =>
          rules({
            effect: 'prevent',
            protections: ['sqli'],
            paranoiaLevel: 1,
            exposedPort: 8080,
            appPort: 80,
          }),
      })(post(webTask, { account: '123456789012' }));

      // Assess
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body) as {
        taskDefinition: {
          containerDefinitions: { name: string; portMappings?: { containerPort: number }[] }[];
        };
        decision: { changes: { kind: string }[] };
      };
      const byName = new Map(body.taskDefinition.containerDefinitions.map((c) => [c.name, c]));
      expect(byName.get('ecs-admission-defender')?.portMappings?.map((m) => m.containerPort)).toEqual([8080]);
      expect(byName.get('app')?.portMappings ?? []).toEqual([]);
      expect(body.decision.changes.map((c) => c.kind)).toEqual(
        expect.arrayContaining(['remove-port', 'waas-port']),
      );
    });

    it('leaves the ports alone when the policy has no waas section for the family', async () => {
      // Act
      const response = await router({}, undefined, {
        current: () => new PolicyView({ version: '1', rules: [] }),
      })(post(webTask, { account: '123456789012' }));

      // Assess
      const body = JSON.parse(response.body) as {
        taskDefinition: {
          containerDefinitions: { name: string; portMappings?: { containerPort: number }[] }[];
        };
      };
      const app = body.taskDefinition.containerDefinitions.find((c) => c.name === 'app');
      expect(app?.portMappings?.map((m) => m.containerPort)).toEqual([80]);
    });

    it('answers 503 when the rules cannot be read, rather than embedding without them', async () => {
      // Act
      const response = await router({}, undefined, {
        current: () => Promise.reject(new Error('ResourceNotFoundException: table gone')),
      })(post(webTask, { account: '123456789012' }));

      // Assess
      expect(response.status).toBe(503);
      expect(response.body).not.toContain('table gone');
    });
  });
});
