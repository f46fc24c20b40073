import type { ContainerDefinition, PortMapping, RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { WaasOption } from './config.js';
import type { Change, Problem } from './decision.js';

/** What the WAAS option does to one task definition. */
export type WaasPortPlan =
  | { kind: 'off' }
  /** Nothing to protect: the task is protected without WAAS, and the note says why. */
  | { kind: 'skip'; note: Change }
  | { kind: 'reject'; problems: Problem[] }
  | {
      kind: 'apply';
      /** Index of the app container whose mappings move to the sidecar. */
      container: number;
      /** Indices, ascending, of that container's mappings that are removed. */
      remove: number[];
      /** The sidecar's mapping for the proxy's exposed port. */
      sidecarMapping: PortMapping;
      changes: Change[];
    };

/** HTTP/1.1 is all the proxy speaks (nginx `listen` without http2, HTTP/1.1 upstreams). */
const PROXIED_APP_PROTOCOLS = new Set(['http']);

const isTcp = (m: PortMapping) => m.protocol !== 'udp' && m.containerPort !== undefined;

/** `"8000-8100"` covers 8050; a malformed range covers nothing (the API model names it). */
function rangeCovers(range: string | undefined, port: number): boolean {
  const match = range === undefined ? null : /^(\d+)-(\d+)$/.exec(range);
  return match !== null && Number(match[1]) <= port && port <= Number(match[2]);
}

function skip(message: string): WaasPortPlan {
  return {
    kind: 'skip',
    note: { kind: 'note', path: 'containerDefinitions', message: `WAAS left off: ${message}` },
  };
}

/** The wrapped containers WAAS may protect, or why there is none. */
function candidates(
  containers: readonly ContainerDefinition[],
  waas: WaasOption,
  wrap: ReadonlySet<number>,
): number[] | string {
  if (waas.container === undefined) return [...wrap].sort((a, b) => a - b);
  const index = containers.findIndex((c) => c.name === waas.container);
  if (index < 0) return `the task has no container "${waas.container}" (waas.container)`;
  if (!wrap.has(index))
    return `container "${waas.container}" (waas.container) is not wrapped by the defender`;
  return [index];
}

/** The only TCP port the candidates map, or the plan when there is none (skip) or several (reject). */
function defaultAppPort(
  containers: readonly ContainerDefinition[],
  found: readonly number[],
): number | WaasPortPlan {
  const ports = new Map<number, string>();
  for (const i of found) {
    for (const m of containers[i]?.portMappings ?? []) {
      if (isTcp(m) && !ports.has(m.containerPort as number))
        ports.set(m.containerPort as number, containers[i]?.name ?? '');
    }
  }
  if (ports.size === 0) return skip('no app container maps a TCP port');
  if (ports.size > 1) {
    const list = [...ports].map(([port, name]) => `${port} in "${name}"`).join(', ');
    return {
      kind: 'reject',
      problems: [
        {
          path: 'containerDefinitions',
          message: `WAAS: the app containers map several TCP ports (${list}); set waas.appPort (--waas-port EXPOSED:APP) to the one the proxy protects`,
        },
      ],
    };
  }
  return [...ports.keys()][0] as number;
}

/** What the app container gives the proxy: its index, the mappings' indices, the two ports. */
interface HandOver {
  index: number;
  remove: readonly number[];
  appPort: number;
  exposedPort: number;
}

/** Why the task cannot host the proxy in front of the app, each naming its field and the fix. */
function hostingProblems(request: RegisterTaskDefinitionRequest, handOver: HandOver): Problem[] {
  const { index, remove, appPort, exposedPort } = handOver;
  const containers = request.containerDefinitions;
  const app = containers[index] as ContainerDefinition;
  const at = `containerDefinitions[${index}]`;
  const first = (app.portMappings ?? [])[remove[0] as number] as PortMapping;
  const problems: Problem[] = [];
  if (request.networkMode !== 'awsvpc') {
    problems.push({
      path: 'networkMode',
      message: `WAAS needs networkMode awsvpc, where the proxy reaches the app on 127.0.0.1:${appPort}; this task uses ${request.networkMode ?? 'the default (bridge)'}. Use awsvpc or turn WAAS off for this task`,
    });
  }
  if (exposedPort === appPort) {
    problems.push({
      path: `${at}.portMappings[${remove[0]}].containerPort`,
      message: `WAAS: the exposed port ${exposedPort} is the port "${app.name}" listens on; the proxy and the app share the task's network and cannot both bind it. Choose another waas.exposedPort (--waas-port)`,
    });
  }
  if (first.appProtocol !== undefined && !PROXIED_APP_PROTOCOLS.has(first.appProtocol)) {
    problems.push({
      path: `${at}.portMappings[${remove[0]}].appProtocol`,
      message: `WAAS: "${app.name}" serves ${first.appProtocol} on port ${appPort}, but the proxy speaks HTTP/1.1 only; turn WAAS off for this task`,
    });
  }
  request.proxyConfiguration?.properties?.forEach((property, k) => {
    const ports = property.name === 'AppPorts' ? (property.value ?? '').split(',').map((p) => p.trim()) : [];
    if (ports.includes(String(appPort))) {
      problems.push({
        path: `proxyConfiguration.properties[${k}].value`,
        message: `WAAS: the App Mesh proxy intercepts port ${appPort} (AppPorts), which the WAAS proxy takes; list ${exposedPort} in AppPorts instead`,
      });
    }
  });
  containers.forEach((c, i) => {
    (c.portMappings ?? []).forEach((m, j) => {
      if (i === index && remove.includes(j)) return;
      if (i !== index && isTcp(m) && m.containerPort === appPort) {
        problems.push({
          path: `containerDefinitions[${i}].portMappings[${j}]`,
          message: `WAAS: container "${c.name}" also maps port ${appPort}, which the proxy takes from "${app.name}"; containers of an awsvpc task share one network, so only one can serve it. Remove one of the mappings`,
        });
        return;
      }
      const taken =
        m.protocol !== 'udp' &&
        (m.containerPort === exposedPort ||
          m.hostPort === exposedPort ||
          rangeCovers(m.containerPortRange, exposedPort));
      if (taken) {
        problems.push({
          path: `containerDefinitions[${i}].portMappings[${j}]`,
          message: `WAAS: the proxy's exposed port ${exposedPort} is already mapped by container "${c.name}"; choose another waas.exposedPort (--waas-port) or move that mapping`,
        });
      }
    });
  });
  return problems;
}

/**
 * Plans the embed side of WAAS: the proxy in the sidecar takes the app's web port mapping. In
 * awsvpc every container shares the task's network namespace, so the proxy reaches the app on
 * 127.0.0.1:appPort, while load balancers, Service Connect and service discovery now find only
 * the proxy's `exposedPort`. A task with no port to protect is left without WAAS (a note says
 * so); a task that cannot host the proxy is rejected naming the field and the fix.
 */
export function planWaasPorts(
  request: RegisterTaskDefinitionRequest,
  waas: WaasOption,
  wrap: ReadonlySet<number>,
): WaasPortPlan {
  const { exposedPort } = waas;
  if (!waas.enabled || exposedPort === undefined) return { kind: 'off' };
  const containers = request.containerDefinitions;
  const found = candidates(containers, waas, wrap);
  if (typeof found === 'string') return skip(found);

  const appPort = waas.appPort ?? defaultAppPort(containers, found);
  if (typeof appPort !== 'number') return appPort;

  const index = found.find((i) =>
    (containers[i]?.portMappings ?? []).some((m) => isTcp(m) && m.containerPort === appPort),
  );
  if (index === undefined) return skip(`no app container maps TCP port ${appPort}`);
  const app = containers[index] as ContainerDefinition;
  const at = `containerDefinitions[${index}]`;
  const mappings = app.portMappings ?? [];
  const remove = mappings.flatMap((m, j) => (isTcp(m) && m.containerPort === appPort ? [j] : []));
  const first = mappings[remove[0] as number] as PortMapping;

  const problems = hostingProblems(request, { index, remove, appPort, exposedPort });
  if (problems.length > 0) return { kind: 'reject', problems };

  const sidecarIndex = containers.length;
  const sidecarMapping: PortMapping = {
    containerPort: exposedPort,
    protocol: 'tcp',
    ...(first.name !== undefined ? { name: first.name } : {}),
    ...(first.appProtocol !== undefined ? { appProtocol: first.appProtocol } : {}),
  };
  const carried = first.name === undefined ? '' : ` (its name "${first.name}" moves with it)`;
  return {
    kind: 'apply',
    container: index,
    remove,
    sidecarMapping,
    changes: [
      {
        kind: 'remove-port',
        path: `${at}.portMappings`,
        message: `"${app.name}" no longer maps port ${appPort}: only the WAAS proxy reaches it, on 127.0.0.1 inside the task`,
      },
      {
        kind: 'waas-port',
        path: `containerDefinitions[${sidecarIndex}].portMappings[0]`,
        message: `the WAAS proxy in the sidecar maps port ${exposedPort}${carried} and forwards to "${app.name}" on port ${appPort}; point load balancer target groups and security group rules at ${exposedPort}`,
      },
    ],
  };
}
