import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import type { Problem } from './decision.js';

/**
 * Problems the API model cannot express but ECS refuses, and that the transform needs settled
 * before it can wire containers together: every container named, names unique, no dependsOn cycle
 * (ECS could never start such a task; the transform itself only adds edges to a sidecar that
 * depends on nothing, so it never creates one).
 */
export function findInputProblems(request: RegisterTaskDefinitionRequest): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  request.containerDefinitions.forEach((container, i) => {
    if (container.name === undefined || container.name === '') {
      problems.push({
        path: `containerDefinitions[${i}].name`,
        message: 'required: ECS needs a name for every container',
      });
      return;
    }
    if (container.image === undefined || container.image === '') {
      problems.push({
        path: `containerDefinitions[${i}].image`,
        message: `required: container "${container.name}" names no image`,
      });
    }
    const first = seen.get(container.name);
    if (first !== undefined) {
      problems.push({
        path: `containerDefinitions[${i}].name`,
        message: `"${container.name}" is also the name of containerDefinitions[${first}]; container names must be unique`,
      });
    } else seen.set(container.name, i);
  });
  if (request.containerDefinitions.length === 0) {
    problems.push({ path: 'containerDefinitions', message: 'must have at least one container' });
  }
  const cycle = findDependencyCycle(request);
  if (cycle) {
    problems.push({
      path: `containerDefinitions[${cycle.index}].dependsOn`,
      message: `dependsOn forms a cycle (${cycle.names.join(' → ')}); ECS cannot start any container of it`,
    });
  }
  return problems;
}

/** The first dependsOn cycle found (names in order, first repeated at the end), if any. */
function findDependencyCycle(
  request: RegisterTaskDefinitionRequest,
): { index: number; names: string[] } | undefined {
  const edges = new Map<string, string[]>();
  const indexOf = new Map<string, number>();
  request.containerDefinitions.forEach((c, i) => {
    if (c.name === undefined) return;
    indexOf.set(c.name, i);
    edges.set(
      c.name,
      (c.dependsOn ?? []).map((d) => d.containerName),
    );
  });
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'active') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'active');
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      if (!edges.has(next)) continue;
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of edges.keys()) {
    const names = visit(name);
    if (names) return { index: indexOf.get(names[0] ?? '') ?? 0, names };
  }
  return undefined;
}
