import { statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { deployedEnvironment } from '../test/stack/deployed-environment.js';
import { importInFreshProcess, removeUnpacked, unpackZip } from '../test/stack/import-bundle.js';
import { FUNCTION_NAMES, packageStack, removePackagedStack } from '../test/stack/package-stack.js';
import type { BenchResult } from './bench-result.js';
import { median } from './stats.js';

const ZIP_TARGET_BYTES = 1024 * 1024;
const IMPORT_TARGET_MS = 150;
const IMPORT_RUNS = 7;

const loadPerCore = () => (loadavg()[0] ?? 0) / Math.max(1, availableParallelism());

const logicalId = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`;

/**
 * The deployable bundles: each function's zip as `serverless package` writes it (target < 1 MiB),
 * and a cold-start proxy: the median CPU time of importing the bundle in a fresh Node process with
 * the deployed environment (target < 150 ms; CPU rather than wall time, because the machines this
 * runs on are shared and wall time mostly measures the neighbours; wall time is reported beside
 * it, with the machine's load). Also how long packaging takes (CI runs it).
 */
export async function bench(): Promise<BenchResult[]> {
  const stack = await packageStack({
    params: { memberExternalId: 'bench-external-id-0123456789', organizationId: 'o-abc123def4' },
  });
  const results: BenchResult[] = [
    { name: 'serverless package (3 functions)', value: stack.packageMs / 1000, unit: 's' },
  ];
  try {
    for (const name of FUNCTION_NAMES) {
      const bytes = statSync(stack.zips[name]).size;
      results.push({
        name: `${name} zip size`,
        value: bytes / 1024,
        unit: 'KiB',
        target: '< 1024 KiB',
        ok: bytes < ZIP_TARGET_BYTES,
      });
      const dir = unpackZip(stack.zips[name]);
      try {
        const file = join(dir, 'functions', `${name}.mjs`);
        const env = deployedEnvironment(stack.template, logicalId(name));
        const wall: number[] = [];
        const cpu: number[] = [];
        for (let run = 0; run < IMPORT_RUNS; run++) {
          const result = await importInFreshProcess(file, env);
          if (result.handler !== 'function') {
            throw new Error(`${name}: the bundle exports no handler function`);
          }
          wall.push(result.ms);
          cpu.push(result.cpuMs);
        }
        const cpuMs = median(cpu);
        results.push(
          {
            name: `${name} bundle import CPU time, fresh process (median of ${IMPORT_RUNS})`,
            value: cpuMs,
            unit: 'ms',
            target: `< ${IMPORT_TARGET_MS} ms`,
            ok: cpuMs < IMPORT_TARGET_MS,
          },
          { name: `${name} bundle import wall time (same runs)`, value: median(wall), unit: 'ms' },
        );
      } finally {
        removeUnpacked(dir);
      }
    }
  } finally {
    removePackagedStack(stack);
  }
  results.push({
    name: 'machine load during the bench (1-min load average per core)',
    value: loadPerCore(),
    unit: '',
  });
  return results;
}
