import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { AdmissionStateStore } from '../aws/admission-state-store.js';
import type { DescribedTaskDefinition, EcsAdapter } from '../aws/ecs-adapter.js';
import type { Decision } from '../embed/decision.js';
import type { EmbedResult } from '../embed/embed.js';
import { inspectProtection, SOURCE_TAG } from '../embed/marker.js';
import type { ContainerDefinition } from '../taskdef/types.js';
import { familyOf } from './classify-event.js';
import { ClaimBusyError, EcsCallError } from './errors.js';
import { type Exclusions, exclusionReason, type Mode } from './plan.js';
import type { TwinContainer } from './waas-retarget.js';

/** Where the protected twin of a source revision stands after {@link TwinRegistrar.ensureTwin}. */
export type TwinResult =
  | {
      kind: 'twin';
      sourceArn: string;
      family: string;
      /** Undefined only in audit mode, where nothing is registered. */
      protectedArn: string | undefined;
      /** `now`: registered by this call; `earlier`: by an earlier event; `found`: by its marker after a crash. */
      registered: 'now' | 'earlier' | 'found' | 'planned';
      embed?: Decision;
      rolledBack: string[];
      /** The twin's containers when this call registered it (so moving services needs no describe). */
      containers?: readonly TwinContainer[];
    }
  | {
      kind: 'no-twin';
      sourceArn: string;
      outcome: 'skipped' | 'already-protected' | 'rejected';
      reason: string;
      embed?: Decision;
    };

export interface TwinRegistrarOptions {
  ecs: EcsAdapter;
  state: AdmissionStateStore;
  /** The transform (with image look-up) applied to a described revision. */
  protect: (described: DescribedTaskDefinition) => Promise<EmbedResult>;
  mode: Mode;
  exclusions: Exclusions;
  claimMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  newOwner: () => string;
}

const isArn = (ref: string) => ref.includes(':task-definition/');

/**
 * Gets a source revision its protected twin, exactly once whatever the delivery: reads the record
 * first (no ECS call when known), describes the revision (never trusting the event body), runs the
 * transform, claims the source with a conditional write, and registers. A claim left by a crash is
 * taken over after it expires, and the twin is then looked for by its marker before registering.
 */
export class TwinRegistrar {
  /** Answers already settled in this invocation (a sweep meets the same revision many times). */
  private readonly settled = new Map<string, TwinResult>();

  constructor(private readonly o: TwinRegistrarOptions) {}

  /**
   * Forgets what this invocation learnt. Called at the start of each event and sweep, so a warm
   * Lambda container never acts on a rollback recorded by another one meanwhile.
   */
  resetCache(): void {
    this.settled.clear();
  }

  async ensureTwin(ref: string): Promise<TwinResult> {
    const cached = this.settled.get(ref);
    if (cached) return cached.kind === 'twin' ? { ...cached, registered: 'earlier' } : cached;
    const result = await this.resolveTwin(ref);
    if (!(result.kind === 'twin' && result.registered === 'planned')) this.settled.set(ref, result);
    return result;
  }

  private async resolveTwin(ref: string): Promise<TwinResult> {
    if (isArn(ref)) {
      const known = await this.known(ref);
      if (known) return known;
    }
    const excludedEarly = exclusionReason({ family: familyOf(ref) }, this.o.exclusions);
    if (excludedEarly) return { kind: 'no-twin', sourceArn: ref, outcome: 'skipped', reason: excludedEarly };
    const described = await this.o.ecs.describeTaskDefinition(ref);
    const sourceArn = described?.taskDefinition.taskDefinitionArn;
    if (!described || !sourceArn) {
      return {
        kind: 'no-twin',
        sourceArn: ref,
        outcome: 'skipped',
        reason: `${ref} does not exist (any more)`,
      };
    }
    if (!isArn(ref)) {
      const known = await this.known(sourceArn);
      if (known) return known;
    }
    const family = described.taskDefinition.family ?? familyOf(sourceArn);
    // Dates become ISO strings, the form the task-definition parser reads.
    const result = await this.o.protect(JSON.parse(JSON.stringify(described)) as DescribedTaskDefinition);
    const embed = result.decision;
    if (embed.outcome !== 'protected' || !result.output) {
      const outcome =
        embed.outcome === 'already-protected' || embed.outcome === 'rejected' ? embed.outcome : 'skipped';
      const reason = embed.reason ?? embed.outcome;
      if (outcome === 'already-protected') {
        await this.o.state.markTwin(
          sourceArn,
          inspectProtection(described.taskDefinition as { containerDefinitions?: ContainerDefinition[] })
            .source ?? 'unknown',
        );
      } else if (this.o.mode === 'enforce') {
        await this.o.state.recordNotApplicable(sourceArn, outcome, reason, embed.embedVersion);
      }
      return { kind: 'no-twin', sourceArn, outcome, reason, embed };
    }
    if (this.o.mode !== 'enforce') {
      return {
        kind: 'twin',
        sourceArn,
        family,
        protectedArn: undefined,
        registered: 'planned',
        embed,
        rolledBack: [],
      };
    }
    return this.register(
      sourceArn,
      family,
      result.output as unknown as RegisterTaskDefinitionCommandInput,
      embed,
    );
  }

  /** What the state table already says about an ARN: its twin, or why it needs nothing. */
  private async known(arn: string): Promise<TwinResult | undefined> {
    const record = await this.o.state.getSource(arn);
    if (record?.state === 'registered' && record.protectedArn) {
      return {
        kind: 'twin',
        sourceArn: arn,
        family: familyOf(arn),
        protectedArn: record.protectedArn,
        registered: 'earlier',
        rolledBack: record.rolledBack ?? [],
      };
    }
    if (record?.state === 'not-applicable' && record.embedVersion !== undefined) {
      const outcome =
        record.outcome === 'already-protected' || record.outcome === 'rejected' ? record.outcome : 'skipped';
      return { kind: 'no-twin', sourceArn: arn, outcome, reason: record.reason ?? outcome };
    }
    if (await this.o.state.twinSource(arn)) {
      return {
        kind: 'no-twin',
        sourceArn: arn,
        outcome: 'already-protected',
        reason: 'it is a protected revision',
      };
    }
    return undefined;
  }

  private async register(
    sourceArn: string,
    family: string,
    request: RegisterTaskDefinitionCommandInput,
    embed: Decision,
  ): Promise<TwinResult> {
    const owner = this.o.newOwner();
    const twin = (
      protectedArn: string,
      registered: 'now' | 'earlier' | 'found',
      rolledBack: string[] = [],
      containers?: readonly TwinContainer[],
    ): TwinResult => ({
      kind: 'twin',
      sourceArn,
      family,
      protectedArn,
      registered,
      embed,
      rolledBack,
      ...(containers ? { containers } : {}),
    });
    let claim = await this.o.state.claim(sourceArn, owner, this.o.now(), this.o.claimMs);
    // Someone else is registering right now (a duplicate or concurrent event): wait for it briefly.
    for (let wait = 0; claim.result === 'busy' && wait < 8; wait++) {
      await this.o.sleep(250);
      const record = await this.o.state.getSource(sourceArn);
      if (record && record.state !== 'claimed') claim = { result: 'done', record };
    }
    if (claim.result === 'busy') throw new ClaimBusyError(sourceArn);
    if (claim.result === 'done') {
      const { record } = claim;
      if (record.protectedArn) return twin(record.protectedArn, 'earlier', record.rolledBack ?? []);
      return {
        kind: 'no-twin',
        sourceArn,
        outcome: 'skipped',
        reason: record.reason ?? 'nothing to do',
        embed,
      };
    }
    // A twin may exist already: registered by a run that crashed before recording it (expired
    // claim), or embedded outside the controller (CI/CD). Registering again would make two.
    const found = await this.findTwinByMarker(sourceArn, family);
    if (found) {
      await this.o.state.recordTwin(sourceArn, found);
      return twin(found, 'found', claim.previous?.rolledBack ?? []);
    }
    let registered: DescribedTaskDefinition;
    try {
      registered = await this.o.ecs.registerTaskDefinition(request);
    } catch (error) {
      // ECS answered with an error, so nothing was registered: give the claim back for the retry.
      if (error instanceof EcsCallError) await this.o.state.release(sourceArn, owner);
      throw error;
    }
    const protectedArn = registered.taskDefinition.taskDefinitionArn as string;
    await this.o.state.recordTwin(sourceArn, protectedArn);
    return twin(
      protectedArn,
      'now',
      claim.previous?.rolledBack ?? [],
      registered.taskDefinition.containerDefinitions ?? [],
    );
  }

  /**
   * A protected revision of the family whose marker names this source: the ACTIVE revisions newer
   * than the source, newest first, at most 10 (a twin is registered right after its source).
   */
  async findTwinByMarker(sourceArn: string, family: string): Promise<string | undefined> {
    const sourceRevision = Number(sourceArn.split(':').pop());
    const marker = `${family}:${sourceRevision}`;
    const candidates = (await this.o.ecs.listFamilyRevisions(family, 10)).filter(
      (arn) => Number(arn.split(':').pop()) > sourceRevision,
    );
    for (const arn of candidates) {
      const d = await this.o.ecs.describeTaskDefinition(arn);
      if (!d) continue;
      const tagged = d.tags.some((t) => t.key === SOURCE_TAG && t.value === marker);
      const protection = inspectProtection(
        d.taskDefinition as { containerDefinitions?: ContainerDefinition[] },
      );
      if (tagged && protection.current) return arn;
    }
    return undefined;
  }
}
