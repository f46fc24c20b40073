import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdmissionReplay, startAdmissionReplay } from '../../src/local/admission-replay.js';
import { account, fargate } from './support/fixtures.js';

describe('Function: runSweep', () => {
  let replay: AdmissionReplay;
  beforeAll(async () => {
    const clusters = [
      { clusterName: 'blue', count: 105 },
      { clusterName: 'green', count: 5 },
    ].map(({ clusterName, count }) => ({
      clusterName,
      services: Array.from({ length: count }, (_, i) => ({
        serviceName: `svc${i}`,
        taskDefinition: `app${i % 3}:1`,
      })),
    }));
    replay = await startAdmissionReplay({
      account: account(
        [0, 1, 2].map((i) => fargate(`app${i}`)),
        clusters,
      ),
    });
  });
  afterAll(() => replay.close());

  it('stops when time runs short, saves its place, and the next run finishes the account', async () => {
    // Prepare
    let pages = 0;
    const shortOfTimeAfterOnePage = () => (++pages > 1 ? 0 : Number.POSITIVE_INFINITY);

    // Act
    const first = await replay.runtime.sweep(shortOfTimeAfterOnePage);
    const cursor = await replay.runtime.state.getCursor();
    const second = await replay.runtime.sweep(() => Number.POSITIVE_INFINITY);
    const third = await replay.runtime.sweep(() => Number.POSITIVE_INFINITY);

    // Assess
    expect(first.summary.complete).toBe(false);
    expect(first.summary.servicesChecked).toBe(100);
    expect(cursor).toMatchObject({ clusterIndex: 0, nextToken: expect.any(String) });
    expect(second.summary.complete).toBe(true);
    expect(second.summary.servicesChecked).toBe(10);
    expect(second.summary.counts).toEqual({ protected: 110 });
    expect(await replay.runtime.state.getCursor()).toBeUndefined();
    const services = replay.sim.state.snapshot().services;
    expect(new Set(services.map((s) => s.taskDefinition))).toEqual(
      new Set([0, 1, 2].map((i) => `arn:aws:ecs:us-east-1:111122223333:task-definition/app${i}:2`)),
    );
    expect(replay.sim.callsBy(replay.controllerIdentity).RegisterTaskDefinition).toBe(3);
    expect(third.summary.counts).toEqual({ 'already-protected': 110 });
    expect(third.decisions).toEqual([]);
    const summaries = replay.bus.entries.filter((e) => e.detailType === 'ECS Admission Sweep');
    expect(summaries).toHaveLength(3);
  }, 120_000);

  it('reads the account with ListServices by 100 and DescribeServices by 10', async () => {
    // Prepare
    replay.sim.resetCounts();

    // Act
    await replay.runtime.sweep(() => Number.POSITIVE_INFINITY);

    // Assess
    expect(replay.sim.callsBy(replay.controllerIdentity)).toEqual({
      ListClusters: 1,
      ListServices: 3,
      DescribeServices: 12,
    });
  });
});
