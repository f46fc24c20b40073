import type { CompactModel, CompactShape } from './compact-model.js';
import { ECS_MODEL } from './ecs-model.generated.js';

/**
 * Names people carry over from Docker, Compose and Kubernetes that ECS spells differently. Only
 * used for "did you mean" hints; keyed by the lower-cased wrong name.
 */
const FOREIGN_NAMES: Record<string, string> = {
  portbindings: 'portMappings',
  ports: 'portMappings',
  env: 'environment',
  envfrom: 'environmentFiles',
  args: 'command',
  cmd: 'command',
  workingdir: 'workingDirectory',
  labels: 'dockerLabels',
  volumes: 'mountPoints',
  volumemounts: 'mountPoints',
  memorylimit: 'memory',
};

/** The structure shape at a path (list indexes and map keys walk into members/values). */
export function shapeAtPath(
  path: readonly PropertyKey[],
  rootShape: string,
  model: CompactModel = ECS_MODEL,
): CompactShape | undefined {
  let shape = model.shapes[rootShape];
  for (const segment of path) {
    if (!shape) return undefined;
    let next: string | undefined;
    if (shape.type === 'structure') next = shape.members?.[String(segment)];
    else if (shape.type === 'list') next = shape.member;
    else if (shape.type === 'map') next = shape.value;
    shape = next === undefined ? undefined : model.shapes[next];
  }
  return shape;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/**
 * The member of the structure at `objectPath` that an unknown key most likely meant: same name in
 * another case, a known Docker/Kubernetes alias, or a near miss (edit distance ≤ 2).
 */
export function suggestMember(
  objectPath: readonly PropertyKey[],
  key: string,
  rootShape = 'RegisterTaskDefinitionRequest',
  model: CompactModel = ECS_MODEL,
): string | undefined {
  const members = Object.keys(shapeAtPath(objectPath, rootShape, model)?.members ?? {});
  if (members.length === 0) return undefined;
  const lower = key.toLowerCase();
  const sameCase = members.find((m) => m.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const alias = FOREIGN_NAMES[lower];
  if (alias && members.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = 3;
  for (const member of members) {
    const distance = editDistance(lower, member.toLowerCase());
    if (distance < bestDistance) {
      best = member;
      bestDistance = distance;
    }
  }
  return best;
}
