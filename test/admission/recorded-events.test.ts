import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccountText } from '../../src/cli/commands/simulate.js';
import { type AdmissionReplay, startAdmissionReplay } from '../../src/local/admission-replay.js';
import { account } from './support/fixtures.js';

const eventsDir = new URL('../../events/', import.meta.url);
const corpusDir = new URL('../corpus/events/', import.meta.url);
const read = (dir: URL, name: string): unknown => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const eventFiles = readdirSync(eventsDir).filter((f) => f.endsWith('.json'));
const corpusFiles = readdirSync(corpusDir).filter((f) => f.endsWith('.json'));
const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

describe('Recorded events (events/) against the sample account', () => {
  let replay: AdmissionReplay;
  beforeAll(async () => {
    const file = new URL('../../examples/account.json', import.meta.url);
    replay = await startAdmissionReplay({
      account: parseAccountText(readFileSync(file, 'utf8'), 'examples/account.json'),
    });
  });
  afterAll(() => replay.close());

  it('has a recorded event for every handled call and for the ignored kinds', () => {
    // Assess
    const names = eventFiles.map(
      (f) => (read(eventsDir, f) as { detail: { eventName?: string } }).detail.eventName,
    );
    for (const call of ['RegisterTaskDefinition', 'CreateService', 'UpdateService', 'RunTask', 'StartTask']) {
      expect(names).toContain(call);
    }
    expect(eventFiles.filter((f) => f.startsWith('ignored-')).length).toBeGreaterThanOrEqual(4);
  });

  it.each(eventFiles.filter((f) => f.startsWith('ignored-') || f.startsWith('own-')))(
    '%s costs no API call and makes no decision',
    async (file) => {
      // Prepare
      const before = total(replay.sim.callsBy(replay.controllerIdentity));
      const decisions = replay.decisions().length;

      // Act
      const outcome = await replay.deliver(read(eventsDir, file));

      // Assess
      expect(outcome?.classified.kind).toMatch(/^(ignored|own-call)$/);
      expect(total(replay.sim.callsBy(replay.controllerIdentity))).toBe(before);
      expect(replay.decisions()).toHaveLength(decisions);
    },
  );

  it('replays every event and ends with each service protected or reported', async () => {
    // Act
    for (const file of eventFiles) replay.sim.events.push(read(eventsDir, file) as never);
    await replay.settle();
    await replay.sweep();
    await replay.settle();

    // Assess
    const report = replay.report();
    const byArn = new Map(report.taskDefinitions.map((t) => [t.taskDefinitionArn, t]));
    const state = Object.fromEntries(
      report.services.map((s) => {
        const tags = (byArn.get(s.taskDefinition ?? '')?.tags ?? []) as { key: string }[];
        return [
          `${s.clusterName}/${s.serviceName}`,
          tags.some((t) => t.key === 'ecs-admission:source') ? 'protected' : s.taskDefinition,
        ];
      }),
    );
    expect(state).toEqual({
      'prod/web': 'protected',
      'staging/worker': 'protected',
      // CODE_DEPLOY: reported as needing action with the twin; opted out: left alone.
      'prod/api': 'arn:aws:ecs:us-east-1:111122223333:task-definition/api:1',
      'prod/reports': 'arn:aws:ecs:us-east-1:111122223333:task-definition/reports:1',
    });
    expect(replay.deadLetters).toEqual([]);
    const needs = report.decisions.flatMap((d) => d.actions).filter((a) => a.kind === 'needs-action');
    expect(needs[0]?.detail).toContain('task-definition/api:2');
  });
});

describe('Real-world corpus events (test/corpus/events/)', () => {
  it.each(corpusFiles)('%s is handled without error', async (file) => {
    // Prepare
    const replay = await startAdmissionReplay({
      account: account([], [{ clusterName: 'default', services: [] }]),
    });

    // Act
    const outcome = await replay.runtime.controller.handle(read(corpusDir, file));
    await replay.close();

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(['ignored', 'register', 'service', 'deployment-failed']).toContain(outcome.classified.kind);
    for (const d of outcome.decisions) expect(d.outcome).toBe('skipped');
  });
});
