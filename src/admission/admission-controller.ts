import type { AdmissionStateStore } from '../aws/admission-state-store.js';
import type { EcsAdapter } from '../aws/ecs-adapter.js';
import type { ServiceIndex } from '../aws/service-index.js';
import type { Action, Decision } from '../embed/decision.js';
import { type ClassifiedEvent, classifyEvent, familyOf } from './classify-event.js';
import { buildDecision, type DecisionContext } from './decision-builder.js';
import {
  type Exclusions,
  exclusionReason,
  type Mode,
  planDeregister,
  planServiceMove,
  planTaskStop,
  type ServiceView,
} from './plan.js';
import { indexEntry, type ServiceFinder, serviceView } from './service-finder.js';
import type { TwinRegistrar, TwinResult } from './twin-registrar.js';
import { retargetForWaas, type TwinContainer } from './waas-retarget.js';

export interface AdmissionControllerOptions {
  ecs: EcsAdapter;
  state: AdmissionStateStore;
  index: ServiceIndex;
  twins: TwinRegistrar;
  finder: ServiceFinder;
  mode: Mode;
  exclusions: Exclusions;
  ownRoleArns: readonly string[];
  /** Role names whose sessions in any account are the controller's (member-account role). */
  ownRoleNames?: readonly string[];
  deregisterSource: boolean;
  now: () => number;
}

/** What handling one event produced: its decisions and, when it failed, the error to rethrow. */
export interface EventOutcome {
  classified: ClassifiedEvent;
  decisions: Decision[];
  error?: unknown;
}

/**
 * The admission pipeline for one event: classify (no API call) → describe what the event names
 * (never trusting its body) → get the protected twin → move services / stop tasks → one decision
 * record. A failure still yields its `failed` decision, and the error is returned for the caller
 * to rethrow so EventBridge retries the event.
 */
export class AdmissionController {
  constructor(private readonly o: AdmissionControllerOptions) {}

  private context(c: ClassifiedEvent, source = 'eventbridge'): DecisionContext {
    return {
      mode: this.o.mode,
      trigger: { source, eventId: c.eventId, eventName: c.eventName },
      time: new Date(this.o.now()).toISOString(),
    };
  }

  /** Starts a new invocation: nothing learnt by an earlier one is trusted. */
  beginInvocation(): void {
    this.o.twins.resetCache();
  }

  async handle(raw: unknown): Promise<EventOutcome> {
    this.beginInvocation();
    const classified = classifyEvent(raw, {
      ownRoleArns: this.o.ownRoleArns,
      ownRoleNames: this.o.ownRoleNames ?? [],
    });
    if (this.o.mode === 'off' || classified.kind === 'ignored' || classified.kind === 'own-call') {
      return { classified, decisions: [] };
    }
    const ctx = this.context(classified);
    const source =
      classified.kind === 'register'
        ? classified.taskDefinition
        : classified.kind === 'service'
          ? (classified.taskDefinition ?? classified.service)
          : classified.kind === 'task'
            ? (classified.tasks[0]?.taskDefinitionArn ?? '')
            : classified.serviceArn;
    try {
      let decisions: Decision[];
      switch (classified.kind) {
        case 'register':
          decisions = await this.onRegister(classified, ctx);
          break;
        case 'service':
          decisions = await this.onService(classified, ctx);
          break;
        case 'task':
          decisions = await this.onTasks(classified, ctx);
          break;
        case 'deployment-failed':
          decisions = await this.onDeploymentFailed(classified, ctx);
          break;
      }
      return { classified, decisions };
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return {
        classified,
        decisions: [buildDecision({ outcome: 'failed', reason, source, context: ctx })],
        error,
      };
    }
  }

  private noTwinDecision(tw: Extract<TwinResult, { kind: 'no-twin' }>, ctx: DecisionContext): Decision {
    return buildDecision({
      outcome: tw.outcome,
      reason: tw.reason,
      source: tw.sourceArn,
      embed: tw.embed,
      context: ctx,
    });
  }

  private registerAction(tw: Extract<TwinResult, { kind: 'twin' }>): Action {
    const target = tw.protectedArn ?? `${tw.family} (new revision)`;
    switch (tw.registered) {
      case 'now':
        return { kind: 'register-task-definition', target, result: 'done' };
      case 'planned':
        return { kind: 'register-task-definition', target, result: 'planned' };
      case 'found':
        return {
          kind: 'register-task-definition',
          target,
          result: 'skipped',
          detail: 'found by its marker (an interrupted run, or embedded outside the controller)',
        };
      default:
        return {
          kind: 'register-task-definition',
          target,
          result: 'skipped',
          detail: 'registered by an earlier event',
        };
    }
  }

  /** Moves the given services (all on `tw.sourceArn`) onto the twin; returns the actions. */
  async moveServices(
    tw: Extract<TwinResult, { kind: 'twin' }>,
    services: readonly ServiceView[],
  ): Promise<Action[]> {
    const actions: Action[] = [];
    // The twin's containers, for services whose load balancer may name a port WAAS took: known when
    // this call registered the twin, else described once for all its services.
    let twinContainers: Promise<readonly TwinContainer[]> | undefined = tw.containers
      ? Promise.resolve(tw.containers)
      : undefined;
    let failure: unknown;
    for (const service of services) {
      const plan = planServiceMove({
        service,
        sourceArn: tw.sourceArn,
        protectedArn: tw.protectedArn,
        mode: this.o.mode,
        exclusions: this.o.exclusions,
        rolledBack: tw.rolledBack.includes(service.serviceArn),
      });
      let action = plan.action;
      if (plan.update && tw.protectedArn) {
        try {
          let moved: ReturnType<typeof retargetForWaas>;
          if (service.targets) {
            twinContainers ??= this.containersOf(tw.protectedArn);
            moved = retargetForWaas(service.targets, await twinContainers);
          }
          await this.o.ecs.updateServiceTaskDefinition(service.cluster, service.serviceArn, tw.protectedArn, {
            ...(moved && service.targets?.loadBalancers?.length
              ? { loadBalancers: moved.loadBalancers }
              : {}),
            ...(moved && service.targets?.serviceRegistries?.length
              ? { serviceRegistries: moved.serviceRegistries }
              : {}),
          });
          if (moved) {
            action = {
              ...action,
              detail: `${action.detail ?? ''}; traffic through the WAAS proxy: ${moved.moved.join(', ')}`,
            };
          }
          const entry = indexEntry({ ...service, taskDefinition: tw.protectedArn });
          if (entry) await this.o.index.put(entry);
        } catch (error) {
          failure ??= error;
          actions.push({
            ...action,
            result: 'failed',
            detail: error instanceof Error ? error.message : String(error),
          });
          continue;
        }
      }
      actions.push(action);
    }
    if (failure) throw failure;
    return actions;
  }

  private async containersOf(taskDefinition: string): Promise<readonly TwinContainer[]> {
    return (
      (await this.o.ecs.describeTaskDefinition(taskDefinition))?.taskDefinition.containerDefinitions ?? []
    );
  }

  /** Protects what one service runs: used for service events and by the sweep. */
  async protectService(
    view: ServiceView,
    ctx: DecisionContext,
  ): Promise<{ decision: Decision; registered: boolean } | undefined> {
    if (!view.taskDefinition) return undefined;
    const excluded = exclusionReason({ cluster: view.cluster, service: view.serviceName }, this.o.exclusions);
    if (excluded) {
      return {
        decision: buildDecision({
          outcome: 'skipped',
          reason: excluded,
          source: view.taskDefinition,
          context: ctx,
        }),
        registered: false,
      };
    }
    const tw = await this.o.twins.ensureTwin(view.taskDefinition);
    if (tw.kind === 'no-twin') return { decision: this.noTwinDecision(tw, ctx), registered: false };
    const actions = [this.registerAction(tw), ...(await this.moveServices(tw, [view]))];
    return {
      decision: buildDecision({
        outcome: 'protected',
        source: tw.sourceArn,
        protectedArn: tw.protectedArn,
        embed: tw.embed,
        actions,
        context: ctx,
      }),
      registered: tw.registered === 'now',
    };
  }

  private async onRegister(
    c: Extract<ClassifiedEvent, { kind: 'register' }>,
    ctx: DecisionContext,
  ): Promise<Decision[]> {
    const excluded = exclusionReason({ family: c.family ?? familyOf(c.taskDefinition) }, this.o.exclusions);
    if (excluded)
      return [
        buildDecision({ outcome: 'skipped', reason: excluded, source: c.taskDefinition, context: ctx }),
      ];
    const tw = await this.o.twins.ensureTwin(c.taskDefinition);
    if (tw.kind === 'no-twin') return [this.noTwinDecision(tw, ctx)];
    const running = await this.o.finder.servicesRunning(tw.sourceArn);
    const actions = [this.registerAction(tw), ...(await this.moveServices(tw, running))];
    const stillOnSource = actions.filter(
      (a) => a.kind !== 'register-task-definition' && a.result !== 'done',
    ).length;
    const deregister = planDeregister({
      enabled: this.o.deregisterSource,
      mode: this.o.mode,
      sourceArn: tw.sourceArn,
      servicesStillOnSource: stillOnSource,
    });
    if (deregister) {
      if (deregister.result === 'done') await this.o.ecs.deregisterTaskDefinition(tw.sourceArn);
      actions.push(deregister);
    }
    return [
      buildDecision({
        outcome: 'protected',
        source: tw.sourceArn,
        protectedArn: tw.protectedArn,
        embed: tw.embed,
        actions,
        context: ctx,
      }),
    ];
  }

  private async onService(
    c: Extract<ClassifiedEvent, { kind: 'service' }>,
    ctx: DecisionContext,
  ): Promise<Decision[]> {
    const excluded = exclusionReason({ cluster: c.cluster, service: c.service }, this.o.exclusions);
    if (excluded) {
      return [
        buildDecision({
          outcome: 'skipped',
          reason: excluded,
          source: c.taskDefinition ?? c.service,
          context: ctx,
        }),
      ];
    }
    // Events arrive late and out of order: what the service runs now is what counts.
    const [described] = await this.o.ecs.describeServices(c.cluster, [c.serviceArn ?? c.service]);
    const view = described ? serviceView(described) : undefined;
    if (!view?.taskDefinition) return [];
    const entry = indexEntry(view);
    if (entry) await this.o.index.put(entry);
    const result = await this.protectService(view, ctx);
    return result ? [result.decision] : [];
  }

  private async onTasks(
    c: Extract<ClassifiedEvent, { kind: 'task' }>,
    ctx: DecisionContext,
  ): Promise<Decision[]> {
    const decisions: Decision[] = [];
    const byDefinition = new Map<string, typeof c.tasks>();
    for (const t of c.tasks)
      byDefinition.set(t.taskDefinitionArn, [...(byDefinition.get(t.taskDefinitionArn) ?? []), t]);
    for (const [td, tasks] of byDefinition) {
      const excluded = exclusionReason({ cluster: c.cluster, family: familyOf(td) }, this.o.exclusions);
      if (excluded) {
        decisions.push(buildDecision({ outcome: 'skipped', reason: excluded, source: td, context: ctx }));
        continue;
      }
      const tw = await this.o.twins.ensureTwin(td);
      if (tw.kind === 'no-twin') {
        decisions.push(this.noTwinDecision(tw, ctx));
        continue;
      }
      const actions: Action[] = [this.registerAction(tw)];
      for (const task of tasks) {
        const plan = planTaskStop({
          taskArn: task.taskArn,
          startedBy: task.startedBy,
          group: task.group,
          sourceArn: tw.sourceArn,
          protectedArn: tw.protectedArn,
          mode: this.o.mode,
        });
        if (plan.stop && (await this.o.ecs.stopTask(c.cluster, task.taskArn, plan.reason)) === 'gone') {
          actions.push({ ...plan.action, result: 'skipped', detail: 'the task no longer exists' });
          continue;
        }
        actions.push(plan.action);
      }
      decisions.push(
        buildDecision({
          outcome: 'protected',
          source: tw.sourceArn,
          protectedArn: tw.protectedArn,
          embed: tw.embed,
          actions,
          context: ctx,
        }),
      );
    }
    return decisions;
  }

  /**
   * A deployment failed: when the circuit breaker took a service back from our twin to its
   * unprotected source, record it (so neither events nor the sweep move it again: that would
   * loop) and report it as needing action.
   */
  private async onDeploymentFailed(
    c: Extract<ClassifiedEvent, { kind: 'deployment-failed' }>,
    ctx: DecisionContext,
  ): Promise<Decision[]> {
    const [described] = await this.o.ecs.describeServices(c.cluster, [c.serviceArn]);
    const view = described ? serviceView(described) : undefined;
    if (!view?.taskDefinition) return [];
    const record = await this.o.state.getSource(view.taskDefinition);
    if (record?.state !== 'registered' || !record.protectedArn) return [];
    await this.o.state.addRollback(view.taskDefinition, view.serviceArn);
    return [
      buildDecision({
        outcome: 'failed',
        reason: `the protected deployment was rolled back: ${c.reason}`,
        source: view.taskDefinition,
        protectedArn: record.protectedArn,
        actions: [
          {
            kind: 'needs-action',
            target: view.serviceArn,
            result: 'done',
            detail: `not moved again automatically (that would fight the circuit breaker): fix why ${record.protectedArn} fails to start, then deploy it`,
          },
        ],
        context: ctx,
      }),
    ];
  }
}
