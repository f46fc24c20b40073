import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startAdmissionDemo } from '../../src/local/admission-demo.js';
import { MemoryBus } from '../../src/local/memory-bus.js';

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
