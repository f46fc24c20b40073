import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentSettings } from '../../../sidecar/agent/settings.js';
import type { Audit } from '../../../src/audit/audit.js';
import type { CompiledPolicy } from '../../../src/policy/compiled-policy.js';

/** A temporary task layout: root volume, audit volume, state dir and a stand-in launcher binary. */
export async function tempLayout(): Promise<{ base: string; root: string; audit: string; launcher: string }> {
  const base = await mkdtemp(join(tmpdir(), 'agent-test-'));
  const launcher = join(base, 'launcher-src');
  await writeFile(launcher, '#!/bin/sh\necho launcher\n');
  return { base, root: join(base, 'ecs-admission'), audit: join(base, 'ecs-admission-audit'), launcher };
}

/** Settings for a fast agent over a temp layout. */
export function testSettings(
  layout: { root: string; audit: string; launcher: string },
  policyUrl: string,
  overrides: Partial<AgentSettings> = {},
): AgentSettings {
  return {
    policyUrl,
    token: 'test-token',
    family: 'web',
    containers: [
      { name: 'app', image: 'example/app:1' },
      { name: 'worker', image: 'example/worker:2' },
    ],
    rootDir: layout.root,
    auditDir: layout.audit,
    stateDir: join(layout.root, 'state'),
    launcherSource: layout.launcher,
    pollMs: 50,
    flushMs: 20,
    tailMs: 20,
    bufferMaxBytes: 1024 * 1024,
    batchMaxRecords: 100,
    batchMaxBytes: 256 * 1024,
    retryMaxMs: 100,
    metadataUri: undefined,
    waasListenHost: '127.0.0.1',
    ...overrides,
  };
}

export function policy(version: string, deny: string[] = ['mkdir']): CompiledPolicy {
  return {
    version,
    rule: 'block-mkdir',
    processes: { effect: 'prevent', deny },
    dns: { effect: 'prevent', deny: ['yahoo.com'] },
    network: { effect: 'disable' },
  };
}

export function audit(i: number, container = 'app'): Audit {
  return {
    time: new Date(1_700_000_000_000 + i).toISOString(),
    family: 'web',
    container,
    kind: 'process',
    effect: 'prevent',
    rule: 'block-mkdir',
    message: `/bin/mkdir launched from /bin/dash and is explicitly blocked in the runtime rule. Full command: mkdir test-${i}`,
    details: { n: i },
  };
}

/** Polls `check` until it returns true or `ms` passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
