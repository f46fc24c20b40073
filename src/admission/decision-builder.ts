import type { Action, Decision } from '../embed/decision.js';
import { EMBED_VERSION } from '../embed/marker.js';
import type { Mode } from './plan.js';

/** `arn:...:task-definition/web:3` → `{family: web, revision: 3, arn}`; a bare family keeps only `family`. */
export function taskDefinitionRef(ref: string): Decision['source'] {
  const m = /:task-definition\/([^:/]+):(\d+)$/.exec(ref);
  if (m?.[1] && m[2]) return { family: m[1], revision: Number(m[2]), arn: ref };
  const fr = /^([^:/]+):(\d+)$/.exec(ref);
  if (fr?.[1] && fr[2]) return { family: fr[1], revision: Number(fr[2]) };
  return { family: ref };
}

export interface DecisionContext {
  mode: Mode;
  trigger: { source: string; eventId?: string | undefined; eventName?: string | undefined };
  time: string;
}

/**
 * Completes a decision record: the transform's decision when there is one (its changes and
 * digests), else a fresh one; plus the twin, the actions taken and the context. Pure.
 */
export function buildDecision(input: {
  outcome: Decision['outcome'];
  reason?: string | undefined;
  source: string;
  protectedArn?: string | undefined;
  actions?: Action[];
  embed?: Decision | undefined;
  context: DecisionContext;
}): Decision {
  const { embed, context } = input;
  const trigger = {
    source: context.trigger.source,
    ...(context.trigger.eventId ? { eventId: context.trigger.eventId } : {}),
    ...(context.trigger.eventName ? { eventName: context.trigger.eventName } : {}),
  };
  return {
    outcome: input.outcome,
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    ...(embed?.errors ? { errors: embed.errors } : {}),
    source: taskDefinitionRef(input.source),
    ...(input.protectedArn ? { protectedRevision: taskDefinitionRef(input.protectedArn) } : {}),
    embedVersion: embed?.embedVersion ?? EMBED_VERSION,
    changes: embed?.changes ?? [],
    actions: input.actions ?? [],
    mode: context.mode,
    trigger,
    time: context.time,
    ...(embed?.imageDigests ? { imageDigests: embed.imageDigests } : {}),
  };
}
