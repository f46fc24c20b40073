import { ECS_MODEL } from '../taskdef/ecs-model.generated.js';
import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';

/**
 * Puts a task definition's members in the API model's order, the order the input parser writes
 * them in, so that the transform's output and a re-parsed copy of it are the same bytes
 * (embed(embed(x)) = embed(x)). Map members (dockerLabels, log options) keep their order.
 * Cheaper than parsing the output again; golden and property tests check both agree.
 */
export function canonicalRequest(request: RegisterTaskDefinitionRequest): RegisterTaskDefinitionRequest {
  return canonical(request, 'RegisterTaskDefinitionRequest') as RegisterTaskDefinitionRequest;
}

function canonical(value: unknown, shapeName: string | undefined): unknown {
  const shape = shapeName === undefined ? undefined : ECS_MODEL.shapes[shapeName];
  if (Array.isArray(value)) return value.map((item) => canonical(item, shape?.member));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (shape?.type === 'structure' && shape.members) {
    for (const [key, member] of Object.entries(shape.members)) {
      if (object[key] !== undefined) out[key] = canonical(object[key], member);
    }
    // Members the model does not know stay last, where validation will name them.
    for (const [key, member] of Object.entries(object))
      if (!(key in out) && member !== undefined) out[key] = member;
    return out;
  }
  for (const [key, member] of Object.entries(object)) out[key] = canonical(member, shape?.value);
  return out;
}
