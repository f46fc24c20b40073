import {
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectProtection } from '../../src/embed/marker.js';
import { startAdmissionReplay } from '../../src/local/admission-replay.js';
import type { ContainerDefinition } from '../../src/taskdef/types.js';
import { account, fargate } from './support/fixtures.js';

type Step =
  | { kind: 'register'; family: number }
  | { kind: 'update'; service: number; family: number }
  | { kind: 'deliver'; count: number; parallel: boolean };

const FAMILIES = 3;
const SERVICES = 4;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('register' as const), family: fc.nat(FAMILIES - 1) }),
  fc.record({
    kind: fc.constant('update' as const),
    service: fc.nat(SERVICES - 1),
    family: fc.nat(FAMILIES - 1),
  }),
  fc.record({
    kind: fc.constant('deliver' as const),
    count: fc.integer({ min: 1, max: 4 }),
    parallel: fc.boolean(),
  }),
);

describe('Property: exactly-once admission under at-least-once delivery', () => {
  it('ends with every service on a protected revision, one twin per source revision, and no loop', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.record({
          throttle: fc.constantFrom(0, 0.05, 0.1),
          'server-error': fc.constantFrom(0, 0.05),
          'concurrent-revision': fc.constantFrom(0, 0.1, 0.3),
          duplicate: fc.constantFrom(0, 0.3, 0.6),
          delay: fc.constantFrom(0, 0.3),
        }),
        async (steps, seed, faults) => {
          // Prepare
          const families = Array.from({ length: FAMILIES }, (_, i) => fargate(`f${i}`));
          const services = Array.from({ length: SERVICES }, (_, i) => ({
            serviceName: `s${i}`,
            taskDefinition: `f${i % FAMILIES}:1`,
          }));
          const replay = await startAdmissionReplay({
            account: account(families, [
              { clusterName: 'a', services: services.slice(0, 2) },
              { clusterName: 'b', services: services.slice(2) },
            ]),
            faults,
            seed,
          });
          const user = replay.sim.client();
          user.config.maxAttempts = async () => 6;
          try {
            // Act
            for (const s of steps) {
              if (s.kind === 'register') {
                await user
                  .send(
                    new RegisterTaskDefinitionCommand(
                      fargate(`f${s.family}`) as RegisterTaskDefinitionCommandInput,
                    ),
                  )
                  .catch(() => undefined);
              } else if (s.kind === 'update') {
                const cluster = s.service < 2 ? 'a' : 'b';
                await user
                  .send(
                    new UpdateServiceCommand({
                      cluster,
                      service: `s${s.service}`,
                      taskDefinition: `f${s.family}`,
                    }),
                  )
                  .catch(() => undefined);
              } else {
                const batch = Array.from({ length: s.count }, () => replay.sim.events.next()).filter(
                  (e) => e !== undefined,
                );
                if (s.parallel) await Promise.all(batch.map((e) => replay.deliver(e)));
                else for (const e of batch) await replay.deliver(e);
              }
            }
            const settled = await replay.settle(500);
            await replay.sweep();
            const afterSweep = await replay.settle(500);

            // Assess
            const snap = replay.sim.state.snapshot();
            const byArn = new Map(snap.taskDefinitions.map((t) => [t.taskDefinitionArn as string, t]));
            for (const svc of snap.services) {
              const td = byArn.get(svc.taskDefinition ?? '');
              const protection = inspectProtection(td as { containerDefinitions?: ContainerDefinition[] });
              expect(protection.current, `${svc.serviceName} runs ${svc.taskDefinition}`).toBe(true);
            }
            const sources = snap.taskDefinitions.flatMap((t) =>
              (t.tags as { key: string; value: string }[])
                .filter((g) => g.key === 'ecs-admission:source')
                .map((g) => g.value),
            );
            expect(new Set(sources).size).toBe(sources.length);
            // The controller's own calls come back as events and are skipped: settling stays bounded.
            expect(settled).toBeLessThan(200);
            expect(afterSweep).toBeLessThan(100);
          } finally {
            user.destroy();
            await replay.close();
          }
        },
      ),
      { numRuns: 8, seed: 20261122 },
    );
  }, 480_000);
});
