import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { EmbedConfig } from './config.js';

/**
 * Which containers get the launcher. Left alone, with the reason:
 * - FireLens log routers: AWS-provided infrastructure that must start before the containers whose
 *   logs it carries; wrapping it would make every log line wait for the defender.
 * - The App Mesh proxy (`proxyConfiguration.containerName`): its traffic bypasses the mesh by its
 *   uid (1337); making it wait for the sidecar, whose own traffic is redirected through it, would
 *   deadlock the task.
 * - Containers named in `excludeContainers`.
 */
export function chooseWrapTargets(
  request: RegisterTaskDefinitionRequest,
  config: EmbedConfig,
): { wrap: Set<number>; leave: Map<number, string> } {
  const wrap = new Set<number>();
  const leave = new Map<number, string>();
  const proxy = request.proxyConfiguration?.containerName;
  request.containerDefinitions.forEach((c, i) => {
    if (c.firelensConfiguration !== undefined) leave.set(i, 'FireLens log router');
    else if (proxy !== undefined && c.name === proxy) leave.set(i, 'App Mesh proxy');
    else if (c.name !== undefined && config.excludeContainers.includes(c.name))
      leave.set(i, 'excluded by configuration');
    else wrap.add(i);
  });
  return { wrap, leave };
}
