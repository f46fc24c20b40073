import type { AdmissionStateStore, SweepCursor } from '../aws/admission-state-store.js';
import type { EcsAdapter } from '../aws/ecs-adapter.js';
import type { IndexEntry, ServiceIndex } from '../aws/service-index.js';
import type { Decision } from '../embed/decision.js';
import type { AdmissionController } from './admission-controller.js';
import { clusterName } from './classify-event.js';
import { buildDecision, type DecisionContext } from './decision-builder.js';
import type { SweepSummary } from './decision-publisher.js';
import type { Mode } from './plan.js';
import { indexEntry, serviceView } from './service-finder.js';

export interface SweepOptions {
  ecs: EcsAdapter;
  state: AdmissionStateStore;
  index: ServiceIndex;
  controller: AdmissionController;
  mode: Mode;
  /** Stop starting new pages when fewer ms than `reserveMs` remain (Lambda's remaining time). */
  remainingMs: () => number;
  reserveMs: number;
  maxRegistrations: number;
  now: () => number;
}

/** The sweep's result: the summary record and the decisions for services it acted on. */
export interface SweepResult {
  summary: SweepSummary;
  decisions: Decision[];
}

/**
 * The scheduled sweep: every cluster, every service (ListServices by 100, DescribeServices by 10),
 * each protected and moved like a service event would; the index is refreshed on the way. When
 * time or the registration budget runs short it saves a cursor, and the next run continues there.
 */
export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const startedAt = new Date(o.now()).toISOString();
  const cursor: SweepCursor = (await o.state.getCursor()) ?? { clusterIndex: 0, startedAt, counts: {} };
  const counts: Record<string, number> = { ...cursor.counts };
  const decisions: Decision[] = [];
  let servicesChecked = 0;
  let registrations = 0;
  const ctx = (): DecisionContext => ({
    mode: o.mode,
    trigger: { source: 'sweep' },
    time: new Date(o.now()).toISOString(),
  });
  const summary = (complete: boolean): SweepResult => ({
    summary: {
      kind: 'sweep',
      mode: o.mode,
      startedAt: cursor.startedAt,
      finishedAt: new Date(o.now()).toISOString(),
      complete,
      servicesChecked,
      counts,
      registrations,
    },
    decisions,
  });
  if (o.mode === 'off') return summary(true);
  o.controller.beginInvocation();

  const clusters = await o.ecs.listAllClusters();
  for (let ci = cursor.clusterIndex; ci < clusters.length; ci++) {
    const cluster = clusterName(clusters[ci]);
    let token = ci === cursor.clusterIndex ? cursor.nextToken : undefined;
    do {
      if (o.remainingMs() < o.reserveMs || registrations >= o.maxRegistrations) {
        await o.state.putCursor({
          clusterIndex: ci,
          ...(token ? { nextToken: token } : {}),
          startedAt: cursor.startedAt,
          counts,
        });
        return summary(false);
      }
      const page = await o.ecs.listServices(cluster, token);
      const views = (await o.ecs.describeServices(cluster, page.serviceArns))
        .map(serviceView)
        .filter((v) => v !== undefined);
      await o.index.putMany(views.map(indexEntry).filter((e): e is IndexEntry => e !== undefined));
      for (const view of views) {
        servicesChecked += 1;
        let outcome: string;
        try {
          const result = await o.controller.protectService(view, ctx());
          outcome = result?.decision.outcome ?? 'skipped';
          if (result?.registered) registrations += 1;
          // Protected and skipped services are only counted; changes and problems get their own record.
          if (result && (outcome === 'protected' || outcome === 'rejected')) decisions.push(result.decision);
        } catch (error) {
          outcome = 'failed';
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          decisions.push(
            buildDecision({
              outcome: 'failed',
              reason,
              source: view.taskDefinition ?? view.serviceArn,
              context: ctx(),
            }),
          );
        }
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
      token = page.nextToken;
    } while (token);
  }
  await o.index.markComplete(new Date(o.now()).toISOString());
  await o.state.clearCursor();
  return summary(true);
}
