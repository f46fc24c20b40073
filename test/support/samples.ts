import type { Audit } from '../../src/audit/audit.js';

/**
 * The reference product's sample audit (mkdir blocked in the twistlock-fargate-task family), as the
 * launcher writes it; `over` replaces fields.
 */
export function seedsAudit(over: Partial<Audit> = {}): Audit {
  return {
    time: '2026-11-22T00:00:01Z',
    family: 'twistlock-fargate-task',
    container: 'twistlock-fargate-task',
    kind: 'process',
    effect: 'prevent',
    rule: 'twistlock-sample',
    message:
      '/bin/mkdir launched from /bin/dash and is explicitly blocked in the runtime rule. Full command: mkdir test',
    details: { path: '/bin/mkdir', parent: '/bin/dash', command: 'mkdir test', pid: 7 },
    ...over,
  };
}

/** A container definition as the tests write it: a name, an image and whatever else they set. */
export interface SampleContainer {
  name: string;
  image: string;
  [field: string]: unknown;
}

/** The smallest Fargate task definition (family `web`, 0.25 vCPU, 512 MiB) holding `containers`. */
export function fargateTask(containers: SampleContainer[]) {
  return {
    family: 'web',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: containers,
  };
}
