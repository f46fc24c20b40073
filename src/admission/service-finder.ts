import type { Service } from '@aws-sdk/client-ecs';
import type { EcsAdapter } from '../aws/ecs-adapter.js';
import type { IndexEntry, ServiceIndex } from '../aws/service-index.js';
import { clusterName, familyOf } from './classify-event.js';
import type { ServiceView } from './plan.js';

/** A described service in the controller's terms. */
export function serviceView(s: Service): ServiceView | undefined {
  if (!s.serviceArn || !s.serviceName) return undefined;
  return {
    cluster: clusterName(s.clusterArn ?? s.serviceArn.split('/').slice(-2, -1)[0]),
    serviceName: s.serviceName,
    serviceArn: s.serviceArn,
    taskDefinition: s.taskDefinition,
    deploymentController: s.deploymentController?.type ?? 'ECS',
    ...(s.loadBalancers?.length || s.serviceRegistries?.length
      ? { targets: { loadBalancers: s.loadBalancers, serviceRegistries: s.serviceRegistries } }
      : {}),
  };
}

export function indexEntry(v: ServiceView): IndexEntry | undefined {
  if (!v.taskDefinition) return undefined;
  return {
    family: familyOf(v.taskDefinition),
    service: v.serviceArn,
    cluster: v.cluster,
    serviceName: v.serviceName,
    taskDefinition: v.taskDefinition,
  };
}

/**
 * Finds the services that run a revision: from the family index when a full scan has filled it
 * (confirmed with DescribeServices, since entries may be stale), else by scanning the account
 * once, which also fills the index so later events need no scan.
 */
export class ServiceFinder {
  constructor(
    private readonly ecs: EcsAdapter,
    private readonly index: ServiceIndex,
    private readonly now: () => number,
  ) {}

  async servicesRunning(taskDefinitionArn: string): Promise<ServiceView[]> {
    if (await this.index.isComplete()) {
      const entries = (await this.index.servicesOf(familyOf(taskDefinitionArn))).filter(
        (e) => e.taskDefinition === taskDefinitionArn,
      );
      const byCluster = new Map<string, string[]>();
      for (const e of entries) byCluster.set(e.cluster, [...(byCluster.get(e.cluster) ?? []), e.service]);
      const out: ServiceView[] = [];
      for (const [cluster, arns] of byCluster) {
        for (const s of await this.ecs.describeServices(cluster, arns)) {
          const v = serviceView(s);
          if (v?.taskDefinition === taskDefinitionArn) out.push(v);
        }
      }
      return out;
    }
    const all = await this.scan();
    return all.filter((v) => v.taskDefinition === taskDefinitionArn);
  }

  /** Every service of the account (paginated, described by 10), recorded in the index. */
  async scan(): Promise<ServiceView[]> {
    const views: ServiceView[] = [];
    for (const clusterArn of await this.ecs.listAllClusters()) {
      const cluster = clusterName(clusterArn);
      let token: string | undefined;
      do {
        const page = await this.ecs.listServices(cluster, token);
        for (const s of await this.ecs.describeServices(cluster, page.serviceArns)) {
          const v = serviceView(s);
          if (v) views.push(v);
        }
        token = page.nextToken;
      } while (token);
    }
    await this.index.putMany(views.map(indexEntry).filter((e): e is IndexEntry => e !== undefined));
    await this.index.markComplete(new Date(this.now()).toISOString());
    return views;
  }
}
