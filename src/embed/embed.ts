import { ECS_LIMITS } from '../taskdef/ecs-limits.js';
import { parseTaskDefinitionInput } from '../taskdef/parse-input.js';
import type { RegisterTaskDefinitionRequest } from '../taskdef/types.js';
import { validateAgainstModel } from '../taskdef/validate-model.js';
import { canonicalRequest } from './canonical.js';
import type { EmbedConfig } from './config.js';
import { decideEmbed } from './decide.js';
import type { Change, Decision, Problem } from './decision.js';
import type { ImageConfig } from './image-config.js';
import { EMBED_VERSION } from './marker.js';
import { type Rejection, renderProtection } from './render.js';
import { chooseWrapTargets } from './wrap-targets.js';

/** ECS refuses a RegisterTaskDefinition request larger than this (its JSON, in bytes). */
const MAX_REQUEST_BYTES = ECS_LIMITS.maxRequestBytes;

/** The outcome of the transform: the decision record and, unless rejected, the definition to register. */
export interface EmbedResult {
  decision: Decision;
  /** Present when protected, already protected or skipped (then normalised and otherwise unchanged). */
  output?: RegisterTaskDefinitionRequest;
  /** For a rejection: bad input (CLI exit 2) or valid input that cannot be protected (exit 3). */
  rejection?: Rejection;
}

const NO_IMAGE_CONFIGS: ReadonlyMap<string, ImageConfig> = new Map();

type Source = Decision['source'];

function result(
  source: Source,
  outcome: Decision['outcome'],
  fields: { reason?: string; errors?: Problem[]; changes?: Change[]; imageDigests?: Record<string, string> },
): Decision {
  return {
    outcome,
    ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
    ...(fields.errors !== undefined ? { errors: fields.errors } : {}),
    source,
    embedVersion: EMBED_VERSION,
    changes: fields.changes ?? [],
    actions: [],
    ...(fields.imageDigests !== undefined && Object.keys(fields.imageDigests).length > 0
      ? { imageDigests: fields.imageDigests }
      : {}),
  };
}

function rejected(source: Source, rejection: Rejection, errors: Problem[], reason: string): EmbedResult {
  return { decision: result(source, 'rejected', { reason, errors }), rejection };
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Embeds the ecs-admission defender into a task definition. Pure and synchronous; every entry
 * point (CLI, HTTP, admission Lambda) calls it. `input` is any form the task-definition parser
 * accepts; `imageConfigs` holds, by image reference, the configurations of the images whose
 * ENTRYPOINT/CMD the containers' command lines depend on (see embedWithResolver). Never throws
 * for any input: every outcome is in the decision.
 */
export function embedTaskDefinition(
  input: unknown,
  config: EmbedConfig,
  imageConfigs: ReadonlyMap<string, ImageConfig> = NO_IMAGE_CONFIGS,
): EmbedResult {
  // Parse: any accepted form → a RegisterTaskDefinition request, checked against the API model.
  const parsed = parseTaskDefinitionInput(input);
  if (!parsed.ok) return rejected({}, 'invalid-input', parsed.errors, 'it is not a valid task definition');
  const { request, source } = parsed;
  const modelProblems = validateAgainstModel(request, 'RegisterTaskDefinitionRequest');
  if (modelProblems.length > 0) {
    return rejected(source, 'invalid-input', modelProblems, 'ECS would refuse this task definition');
  }

  // Decide: opted out, already protected, protected by an older version (strip), not Fargate Linux.
  const plan = decideEmbed(request, source, config);
  if (plan.kind === 'skip')
    return { decision: result(source, 'skipped', { reason: plan.reason }), output: request };
  if (plan.kind === 'already-protected') {
    return { decision: result(source, 'already-protected', { reason: plan.reason }), output: request };
  }
  if (plan.kind === 'reject') {
    return rejected(source, 'cannot-protect', plan.problems, 'its protection marker cannot be read');
  }
  const targets = chooseWrapTargets(plan.original, config);
  if (targets.wrap.size === 0) {
    const reason = `it has no app container to protect (${[...targets.leave.values()].join(', ')})`;
    return { decision: result(source, 'skipped', { reason }), output: request };
  }

  // Render: wrap, add the sidecar, volumes, marker, size.
  const rendered = renderProtection(plan.original, {
    config,
    fargate: plan.fargate,
    source: plan.source,
    wrap: targets.wrap,
    leave: targets.leave,
    imageConfigs,
  });
  if (!rendered.ok) {
    const reason =
      rendered.rejection === 'invalid-input' ? 'it is not a valid task definition' : 'it cannot be protected';
    return rejected(source, rendered.rejection, rendered.problems, reason);
  }

  // Validate: the output in canonical form, against ECS's size limit and the API model.
  const output = canonicalRequest(rendered.output);
  const bytes = byteLength(output);
  if (bytes > MAX_REQUEST_BYTES) {
    return rejected(
      source,
      'cannot-protect',
      [
        {
          path: '$',
          message: `the protected task definition would be ${bytes} bytes, over ECS's limit of ${MAX_REQUEST_BYTES} (64 KiB); the input is ${byteLength(request)} bytes. Move long environment values to environmentFiles or secrets`,
        },
      ],
      'the protected task definition would be too large',
    );
  }
  const outputProblems = validateAgainstModel(output, 'RegisterTaskDefinitionRequest');
  if (outputProblems.length > 0) {
    return rejected(
      source,
      'cannot-protect',
      outputProblems,
      'ECS would refuse the protected task definition',
    );
  }

  // Report: what changed, in order.
  const changes: Change[] =
    plan.upgradedFrom === undefined
      ? rendered.changes
      : [
          {
            kind: 'strip',
            path: '$',
            message: `removed the protection of embed version ${plan.upgradedFrom} to re-embed from the original`,
          },
          ...rendered.changes,
        ];
  const reason =
    plan.upgradedFrom === undefined
      ? undefined
      : plan.reembedReason !== undefined
        ? plan.reembedReason
        : plan.upgradedFrom === EMBED_VERSION
          ? 're-embedded: its protection was incomplete'
          : `upgraded from embed version ${plan.upgradedFrom} to ${EMBED_VERSION}`;
  return {
    decision: result(source, 'protected', {
      ...(reason !== undefined ? { reason } : {}),
      changes,
      imageDigests: rendered.imageDigests,
    }),
    output,
  };
}
