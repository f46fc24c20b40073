import { afterEach } from 'vitest';
import type { RunningAgent } from '../../../sidecar/agent/agent.js';
import type { CompiledPolicy } from '../../../src/policy/compiled-policy.js';
import { FakePolicyServer } from './fake-policy-server.js';

/** The policy server and agent a test started; `useAgentFixture` stops both after each test. */
export interface AgentFixture {
  server: FakePolicyServer | undefined;
  agent: RunningAgent | undefined;
}

/** Registers an `afterEach` that stops the agent (without draining) and the policy server a test started. */
export function useAgentFixture(): AgentFixture {
  const fixture: AgentFixture = { server: undefined, agent: undefined };
  afterEach(async () => {
    await fixture.agent?.stop({ drainMs: 0 });
    await fixture.server?.stop();
    fixture.agent = undefined;
    fixture.server = undefined;
  });
  return fixture;
}

/** Starts the fake policy server for `fixture`, serving `policies` by container name. */
export async function startPolicyServer(
  fixture: AgentFixture,
  policies: Record<string, CompiledPolicy>,
): Promise<FakePolicyServer> {
  const server = await new FakePolicyServer().start();
  server.policies = policies;
  fixture.server = server;
  return server;
}
