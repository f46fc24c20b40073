import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demoOptionsFor, startAdmissionDemo } from '../../src/local/admission-demo.js';
import { startLocalStack } from '../../src/local/local-stack.js';
import { MemoryBus } from '../../src/local/memory-bus.js';
import { verifyDefenderToken } from '../../src/policy/defender-token.js';
import { tdArn } from '../admission/support/fixtures.js';

const readKey = (dataDir: string) => readFileSync(join(dataDir, 'signing-key'), 'utf8').trim();

describe('Function: startAdmissionDemo', () => {
  it('replays events/ against the sample account, printing each decision and forwarding it to the bus', async () => {
    // Prepare
    const lines: string[] = [];
    const bus = new MemoryBus();

    // Act
    const demo = await startAdmissionDemo({
      root: fileURLToPath(new URL('../..', import.meta.url)),
      log: (line) => lines.push(line),
      bus,
    });
    await demo.close();

    // Assess
    expect(lines[0]).toMatch(
      /^admission: ECS simulator on http:\/\/127\.0\.0\.1:\d+ \(account 111122223333, us-east-1\)$/,
    );
    expect(lines).toContain(
      'admission [CreateService] protected worker:1 → worker:2: register-task-definition worker:2 done; update-service staging/worker done',
    );
    expect(
      lines.some((l) =>
        /^admission \[UpdateService\] protected api:1 → api:2: .*needs-action prod\/api done$/.test(l),
      ),
    ).toBe(true);
    expect(lines.at(-1)).toMatch(/^admission: sweep checked 4 service\(s\)/);
    expect(bus.entries.filter((e) => e.detailType === 'ECS Admission Sweep')).toHaveLength(1);
    expect(bus.entries.filter((e) => e.detailType === 'ECS Admission Decision').length).toBeGreaterThan(3);
  });
});

describe('Function: demoOptionsFor', () => {
  it('gives the sample account’s twins tokens and a URL that the local stack’s policy API accepts', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'demo-stack-'));
    const stack = await startLocalStack({ dataDir, port: 0, log: () => undefined });
    let demo: Awaited<ReturnType<typeof startAdmissionDemo>> | undefined;
    try {
      demo = await startAdmissionDemo({
        ...demoOptionsFor(stack, fileURLToPath(new URL('../..', import.meta.url))),
        log: () => undefined,
      });
      const twin = demo.replay.sim.state
        .snapshot()
        .taskDefinitions.find((t) => t.taskDefinitionArn === tdArn('worker', 2));
      const sidecar = (
        (twin?.containerDefinitions ?? []) as {
          name: string;
          environment: { name: string; value: string }[];
        }[]
      ).find((c) => c.name === 'ecs-admission-defender');
      const env = new Map(sidecar?.environment.map((e) => [e.name, e.value]));
      const [app] = JSON.parse(env.get('ECS_ADMISSION_CONTAINERS') ?? '[]') as {
        name: string;
        image: string;
      }[];

      // Act
      const own = await fetch(
        `${env.get('ECS_ADMISSION_POLICY_URL')}/v1/policy?${new URLSearchParams({ container: app?.name ?? '', image: app?.image ?? '' })}`,
        { headers: { authorization: `Bearer ${env.get('ECS_ADMISSION_TOKEN')}` } },
      );
      const forged = await fetch(`${stack.url}/v1/policy?container=x&image=y`, {
        headers: { authorization: `Bearer ${stack.mintToken('worker').slice(0, -2)}xx` },
      });

      // Assess
      expect(env.get('ECS_ADMISSION_POLICY_URL')).toBe(stack.url);
      expect(verifyDefenderToken(env.get('ECS_ADMISSION_TOKEN') ?? '', readKey(dataDir))).toMatchObject({
        account: '111122223333',
        family: 'worker',
      });
      expect(own.status).toBe(200);
      expect(forged.status).toBe(401);
    } finally {
      await demo?.close();
      await stack.close();
    }
  });
});
