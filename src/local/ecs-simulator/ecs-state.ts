import type { z } from 'zod';
import { clientException, EcsApiError, invalidParameter } from './ecs-api-error.js';
import {
  CreateClusterRequestSchema,
  CreateServiceRequestSchema,
  DescribeClustersRequestSchema,
  DescribeServicesRequestSchema,
  DescribeTaskDefinitionRequestSchema,
  DescribeTasksRequestSchema,
  ListServicesRequestSchema,
  ListTaskDefinitionFamiliesRequestSchema,
  ListTaskDefinitionsRequestSchema,
  ListTasksRequestSchema,
  PageRequestSchema,
  RegisterTaskDefinitionRequestSchema,
  ResourceArnSchema,
  RunTaskRequestSchema,
  StopTaskRequestSchema,
  type Tag,
  TagResourceRequestSchema,
  TaskDefinitionOnlySchema,
  UpdateServiceRequestSchema,
} from './ecs-requests.js';

type Json = Record<string, unknown>;

interface TaskDefinitionRecord {
  family: string;
  revision: number;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  /** The registered request, without `tags` (ECS keeps tags beside the definition). */
  body: Json;
  registeredAt: number;
  registeredBy: string;
  deregisteredAt?: number;
}

interface ServiceRecord {
  serviceName: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition?: string;
  desiredCount: number;
  deploymentController: { type: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL' };
  launchType?: string;
  status: 'ACTIVE';
  createdAt: number;
  createdBy: string;
  deployments: Json[];
  /** Every request member not modelled above, echoed back as ECS does. */
  extra: Json;
}

interface TaskRecord {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  lastStatus: 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  startedBy?: string;
  group: string;
  launchType?: string;
  createdAt: number;
  stoppedReason?: string;
}

interface ClusterRecord {
  clusterName: string;
  clusterArn: string;
  services: Map<string, ServiceRecord>;
  tasks: Map<string, TaskRecord>;
}

/** One row of {@link EcsState.snapshot}: a service as the simulate output file lists it. */
export interface ServiceSnapshot {
  clusterName: string;
  serviceName: string;
  taskDefinition: string | undefined;
  deploymentController: { type: string };
}

const FAMILY_PATTERN = /^[a-zA-Z0-9_-]{1,255}$/;
const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,255}$/;
const TD_ARN = /^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:task-definition\/([^:/]+):(\d+)$/;

/** The operations the simulator serves, each `(request, callerArn) => response`. */
export type EcsOperation = (request: unknown, callerArn: string) => Json;

/**
 * The in-memory account behind the simulator, with ECS's semantics: revisions count from 1 per
 * family (deregistered ones keep their number), a bare family means its latest ACTIVE revision,
 * ARNs are built from account and region, and errors carry ECS's codes and messages.
 */
export class EcsState {
  private readonly families = new Map<string, TaskDefinitionRecord[]>();
  private readonly byArn = new Map<string, TaskDefinitionRecord>();
  private readonly tags = new Map<string, Tag[]>();
  private readonly clusters = new Map<string, ClusterRecord>();
  private ids = 0;

  constructor(
    readonly account: string,
    readonly region: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Operation name → implementation; unknown names are `UnknownOperationException` in the server. */
  readonly operations: Record<string, EcsOperation> = {
    RegisterTaskDefinition: (r, c) => this.registerTaskDefinition(r, c),
    DescribeTaskDefinition: (r) => this.describeTaskDefinition(r),
    ListTaskDefinitions: (r) => this.listTaskDefinitions(r),
    ListTaskDefinitionFamilies: (r) => this.listTaskDefinitionFamilies(r),
    DeregisterTaskDefinition: (r) => this.deregisterTaskDefinition(r),
    TagResource: (r) => this.tagResource(r),
    ListTagsForResource: (r) => this.listTagsForResource(r),
    CreateCluster: (r) => this.createCluster(r),
    ListClusters: (r) => this.listClusters(r),
    DescribeClusters: (r) => this.describeClusters(r),
    CreateService: (r, c) => this.createService(r, c),
    UpdateService: (r) => this.updateService(r),
    DescribeServices: (r) => this.describeServices(r),
    ListServices: (r) => this.listServices(r),
    RunTask: (r, c) => this.runTask(r, c, 'RunTask'),
    StartTask: (r, c) => this.runTask(r, c, 'StartTask'),
    StopTask: (r) => this.stopTask(r),
    DescribeTasks: (r) => this.describeTasks(r),
    ListTasks: (r) => this.listTasks(r),
  };

  /** Calls that change the account: these are the ones CloudTrail records as write events. */
  static readonly MUTATING = new Set([
    'RegisterTaskDefinition',
    'DeregisterTaskDefinition',
    'TagResource',
    'CreateCluster',
    'CreateService',
    'UpdateService',
    'RunTask',
    'StartTask',
    'StopTask',
  ]);

  taskDefinitionArn(family: string, revision: number): string {
    return `arn:aws:ecs:${this.region}:${this.account}:task-definition/${family}:${revision}`;
  }

  /** Every revision as DescribeTaskDefinition returns it with `include: ["TAGS"]`, in registration order. */
  snapshot(): { taskDefinitions: Json[]; services: ServiceSnapshot[] } {
    // Map order is registration order.
    const taskDefinitions = [...this.byArn.values()].map((td) => ({
      ...this.render(td),
      tags: this.tags.get(td.arn) ?? [],
    }));
    const services: ServiceSnapshot[] = [];
    for (const cluster of this.clusters.values()) {
      for (const s of cluster.services.values()) {
        services.push({
          clusterName: cluster.clusterName,
          serviceName: s.serviceName,
          taskDefinition: s.taskDefinition,
          deploymentController: { ...s.deploymentController },
        });
      }
    }
    return { taskDefinitions, services };
  }

  private parse<T extends z.ZodType>(schema: T, request: unknown): z.infer<T> {
    const parsed = schema.safeParse(request ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalidParameter(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  private nextId(): string {
    this.ids += 1;
    return this.ids.toString(16).padStart(32, '0');
  }

  private seconds(): number {
    return this.now() / 1000;
  }

  // ---- task definitions -------------------------------------------------------------------

  private render(td: TaskDefinitionRecord): Json {
    const compat = Array.isArray(td.body.requiresCompatibilities) ? td.body.requiresCompatibilities : [];
    return {
      ...td.body,
      taskDefinitionArn: td.arn,
      revision: td.revision,
      status: td.status,
      requiresAttributes: [],
      compatibilities: compat.includes('FARGATE') ? ['EC2', 'FARGATE'] : ['EC2'],
      registeredAt: td.registeredAt,
      registeredBy: td.registeredBy,
      ...(td.deregisteredAt !== undefined ? { deregisteredAt: td.deregisteredAt } : {}),
    };
  }

  /** Resolves an ARN, `family:revision` or bare `family` (latest ACTIVE) as ECS does. */
  resolveTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    const arn = TD_ARN.exec(ref);
    if (arn) return this.byArn.get(ref);
    const colon = ref.lastIndexOf(':');
    if (colon > 0) {
      const revisions = this.families.get(ref.slice(0, colon));
      const revision = Number(ref.slice(colon + 1));
      return revisions?.find((r) => r.revision === revision);
    }
    const revisions = this.families.get(ref) ?? [];
    return [...revisions].reverse().find((r) => r.status === 'ACTIVE');
  }

  private registerTaskDefinition(request: unknown, caller: string): Json {
    const req = this.parse(RegisterTaskDefinitionRequestSchema, request);
    if (!FAMILY_PATTERN.test(req.family)) {
      throw clientException(
        'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.',
      );
    }
    if (req.containerDefinitions.length === 0) {
      throw clientException('Container list cannot be empty.');
    }
    if (req.containerDefinitions.length > 10) {
      throw clientException('Too many containers. A task definition can have at most 10 containers.');
    }
    for (const [i, c] of req.containerDefinitions.entries()) {
      if (!c.name)
        throw clientException(`Container.name should not be null or empty (containerDefinitions[${i}]).`);
      if (!c.image)
        throw clientException(`Container.image should not be null or empty (containerDefinitions[${i}]).`);
    }
    const { tags, ...body } = req;
    const revisions = this.families.get(req.family) ?? [];
    const record: TaskDefinitionRecord = {
      family: req.family,
      revision: revisions.length + 1,
      arn: this.taskDefinitionArn(req.family, revisions.length + 1),
      status: 'ACTIVE',
      body: structuredClone(body),
      registeredAt: this.seconds(),
      registeredBy: caller,
    };
    revisions.push(record);
    this.families.set(req.family, revisions);
    this.byArn.set(record.arn, record);
    this.tags.set(record.arn, structuredClone(tags ?? []));
    return { taskDefinition: this.render(record), tags: tags ?? [] };
  }

  private describeTaskDefinition(request: unknown): Json {
    const req = this.parse(DescribeTaskDefinitionRequestSchema, request);
    const td = this.resolveTaskDefinition(req.taskDefinition);
    if (!td) throw clientException('Unable to describe task definition.');
    const out: Json = { taskDefinition: this.render(td) };
    if (req.include?.includes('TAGS')) out.tags = this.tags.get(td.arn) ?? [];
    return out;
  }

  private page<T>(
    items: T[],
    nextToken: string | undefined,
    maxResults: number,
  ): { items: T[]; next?: string } {
    const start = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid nextToken.');
    const end = start + maxResults;
    return {
      items: items.slice(start, end),
      ...(end < items.length ? { next: Buffer.from(String(end)).toString('base64url') } : {}),
    };
  }

  private listTaskDefinitions(request: unknown): Json {
    const req = this.parse(ListTaskDefinitionsRequestSchema, request);
    const status = req.status ?? 'ACTIVE';
    let all = [...this.byArn.values()]
      .filter((td) => td.status === status)
      .filter((td) => (req.familyPrefix ? td.family.startsWith(req.familyPrefix) : true))
      .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
    if (req.sort === 'DESC') all = all.reverse();
    const { items, next } = this.page(all, req.nextToken, req.maxResults ?? 100);
    return { taskDefinitionArns: items.map((td) => td.arn), ...(next ? { nextToken: next } : {}) };
  }

  private listTaskDefinitionFamilies(request: unknown): Json {
    const req = this.parse(ListTaskDefinitionFamiliesRequestSchema, request);
    const status = req.status ?? 'ALL';
    const names = [...this.families.entries()]
      .filter(([f]) => (req.familyPrefix ? f.startsWith(req.familyPrefix) : true))
      .filter(([, revs]) => {
        const active = revs.some((r) => r.status === 'ACTIVE');
        return status === 'ALL' || (status === 'ACTIVE' ? active : !active);
      })
      .map(([f]) => f)
      .sort();
    const { items, next } = this.page(names, req.nextToken, req.maxResults ?? 100);
    return { families: items, ...(next ? { nextToken: next } : {}) };
  }

  private deregisterTaskDefinition(request: unknown): Json {
    const req = this.parse(TaskDefinitionOnlySchema, request);
    if (!TD_ARN.test(req.taskDefinition) && !req.taskDefinition.includes(':')) {
      throw invalidParameter('Revision must be specified: use family:revision or the full ARN.');
    }
    const td = this.resolveTaskDefinition(req.taskDefinition);
    if (!td) throw clientException('The specified task definition does not exist.');
    if (td.status === 'ACTIVE') {
      td.status = 'INACTIVE';
      td.deregisteredAt = this.seconds();
    }
    return { taskDefinition: this.render(td) };
  }

  private tagResource(request: unknown): Json {
    const req = this.parse(TagResourceRequestSchema, request);
    const existing = this.tagsOf(req.resourceArn);
    const merged = new Map(existing.map((t) => [t.key, t]));
    for (const t of req.tags) merged.set(t.key, t);
    if (merged.size > 50) throw invalidParameter('A resource can have at most 50 tags.');
    this.tags.set(req.resourceArn, [...merged.values()]);
    return {};
  }

  private listTagsForResource(request: unknown): Json {
    const req = this.parse(ResourceArnSchema, request);
    return { tags: this.tagsOf(req.resourceArn) };
  }

  private tagsOf(arn: string): Tag[] {
    const known = this.byArn.has(arn) || this.findServiceByArn(arn) !== undefined || this.tags.has(arn);
    if (!known) throw invalidParameter('The specified resource could not be found.');
    return this.tags.get(arn) ?? [];
  }

  // ---- clusters -----------------------------------------------------------------------------

  private clusterArn(name: string): string {
    return `arn:aws:ecs:${this.region}:${this.account}:cluster/${name}`;
  }

  private cluster(ref: string | undefined): ClusterRecord {
    const name = (ref ?? 'default').replace(/^arn:aws[a-z-]*:ecs:[^:]+:\d{12}:cluster\//, '');
    const cluster = this.clusters.get(name);
    if (!cluster) throw new EcsApiError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  private renderCluster(c: ClusterRecord): Json {
    const running = [...c.tasks.values()].filter((t) => t.lastStatus === 'RUNNING').length;
    return {
      clusterArn: c.clusterArn,
      clusterName: c.clusterName,
      status: 'ACTIVE',
      registeredContainerInstancesCount: 0,
      runningTasksCount: running,
      pendingTasksCount: 0,
      activeServicesCount: c.services.size,
      statistics: [],
      tags: this.tags.get(c.clusterArn) ?? [],
    };
  }

  private createCluster(request: unknown): Json {
    const req = this.parse(CreateClusterRequestSchema, request);
    const name = req.clusterName ?? 'default';
    if (!NAME_PATTERN.test(name)) {
      throw invalidParameter(
        'Cluster name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.',
      );
    }
    // CreateCluster is idempotent in ECS: the same name returns the existing cluster.
    let cluster = this.clusters.get(name);
    if (!cluster) {
      cluster = {
        clusterName: name,
        clusterArn: this.clusterArn(name),
        services: new Map(),
        tasks: new Map(),
      };
      this.clusters.set(name, cluster);
    }
    return { cluster: this.renderCluster(cluster) };
  }

  private listClusters(request: unknown): Json {
    const req = this.parse(PageRequestSchema, request);
    const arns = [...this.clusters.values()].map((c) => c.clusterArn);
    const { items, next } = this.page(arns, req.nextToken, req.maxResults ?? 100);
    return { clusterArns: items, ...(next ? { nextToken: next } : {}) };
  }

  private describeClusters(request: unknown): Json {
    const req = this.parse(DescribeClustersRequestSchema, request);
    const refs = req.clusters ?? ['default'];
    if (refs.length > 100) throw invalidParameter('clusters can have at most 100 items.');
    const clusters: Json[] = [];
    const failures: Json[] = [];
    for (const ref of refs) {
      try {
        clusters.push(this.renderCluster(this.cluster(ref)));
      } catch {
        failures.push({ arn: ref.startsWith('arn:') ? ref : this.clusterArn(ref), reason: 'MISSING' });
      }
    }
    return { clusters, failures };
  }

  // ---- services -----------------------------------------------------------------------------

  private findServiceByArn(arn: string): ServiceRecord | undefined {
    for (const c of this.clusters.values()) {
      for (const s of c.services.values()) if (s.serviceArn === arn) return s;
    }
    return undefined;
  }

  private service(cluster: ClusterRecord, ref: string): ServiceRecord | undefined {
    const name = ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    return cluster.services.get(name);
  }

  private activeTaskDefinition(ref: string): TaskDefinitionRecord {
    const td = this.resolveTaskDefinition(ref);
    if (!td) throw clientException('TaskDefinition not found.');
    if (td.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
    return td;
  }

  /**
   * ECS refuses a service whose load balancer or service registry names a container port the task
   * definition does not map (CreateService and UpdateService alike).
   */
  private checkContainerTargets(taskDefinition: string | undefined, extra: Json): void {
    if (!taskDefinition) return;
    const td = this.resolveTaskDefinition(taskDefinition);
    const containers = ((td?.body as { containerDefinitions?: unknown[] } | undefined)
      ?.containerDefinitions ?? []) as {
      name?: string;
      portMappings?: { containerPort?: number }[];
    }[];
    for (const key of ['loadBalancers', 'serviceRegistries'] as const) {
      for (const target of (extra[key] as { containerName?: string; containerPort?: number }[] | undefined) ??
        []) {
        if (target.containerName === undefined || target.containerPort === undefined) continue;
        const container = containers.find((c) => c.name === target.containerName);
        if (!container) {
          throw invalidParameter(
            `The container ${target.containerName} does not exist in the task definition.`,
          );
        }
        if (!(container.portMappings ?? []).some((m) => m.containerPort === target.containerPort)) {
          throw invalidParameter(
            `The container ${target.containerName} did not have a container port ${target.containerPort} defined.`,
          );
        }
      }
    }
  }

  private renderService(s: ServiceRecord): Json {
    return {
      ...s.extra,
      serviceArn: s.serviceArn,
      serviceName: s.serviceName,
      clusterArn: s.clusterArn,
      ...(s.taskDefinition ? { taskDefinition: s.taskDefinition } : {}),
      desiredCount: s.desiredCount,
      runningCount: s.desiredCount,
      pendingCount: 0,
      status: s.status,
      ...(s.launchType ? { launchType: s.launchType } : {}),
      deploymentController: s.deploymentController,
      deployments: s.deployments,
      events: [],
      createdAt: s.createdAt,
      createdBy: s.createdBy,
    };
  }

  private deployment(taskDefinition: string | undefined, desiredCount: number): Json {
    const t = this.seconds();
    return {
      id: `ecs-svc/${this.nextId().slice(-19)}`,
      status: 'PRIMARY',
      ...(taskDefinition ? { taskDefinition } : {}),
      desiredCount,
      runningCount: desiredCount,
      pendingCount: 0,
      createdAt: t,
      updatedAt: t,
      rolloutState: 'COMPLETED',
    };
  }

  private createService(request: unknown, caller: string): Json {
    const req = this.parse(CreateServiceRequestSchema, request);
    const cluster = this.cluster(req.cluster);
    if (!NAME_PATTERN.test(req.serviceName)) {
      throw invalidParameter(
        'Service name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.',
      );
    }
    if (cluster.services.has(req.serviceName)) {
      throw invalidParameter('Creation of service was not idempotent.');
    }
    const controller = req.deploymentController ?? { type: 'ECS' as const };
    if (!req.taskDefinition && controller.type !== 'EXTERNAL') {
      throw invalidParameter('TaskDefinition must be specified.');
    }
    const td = req.taskDefinition ? this.activeTaskDefinition(req.taskDefinition).arn : undefined;
    const {
      cluster: _c,
      serviceName,
      taskDefinition: _t,
      desiredCount,
      deploymentController: _d,
      tags,
      ...extra
    } = req;
    this.checkContainerTargets(td, extra);
    const service: ServiceRecord = {
      serviceName,
      serviceArn: `arn:aws:ecs:${this.region}:${this.account}:service/${cluster.clusterName}/${serviceName}`,
      clusterArn: cluster.clusterArn,
      ...(td ? { taskDefinition: td } : {}),
      desiredCount: desiredCount ?? 0,
      deploymentController: controller,
      ...(req.launchType ? { launchType: req.launchType } : {}),
      status: 'ACTIVE',
      createdAt: this.seconds(),
      createdBy: caller,
      deployments: [this.deployment(td, desiredCount ?? 0)],
      extra: structuredClone(extra),
    };
    cluster.services.set(serviceName, service);
    if (tags) this.tags.set(service.serviceArn, structuredClone(tags));
    return { service: this.renderService(service) };
  }

  private updateService(request: unknown): Json {
    const req = this.parse(UpdateServiceRequestSchema, request);
    const cluster = this.cluster(req.cluster);
    const service = this.service(cluster, req.service);
    if (!service) throw new EcsApiError('ServiceNotFoundException', 'Service not found.');
    if (req.taskDefinition !== undefined) {
      const type = service.deploymentController.type;
      if (type === 'CODE_DEPLOY') {
        throw invalidParameter(
          'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
        );
      }
      if (type === 'EXTERNAL') {
        throw invalidParameter(
          'Unable to update task definition on services with a EXTERNAL deployment controller. Please use Task Set API.',
        );
      }
    }
    const next =
      req.taskDefinition !== undefined
        ? this.activeTaskDefinition(req.taskDefinition).arn
        : service.taskDefinition;
    const extra = {
      ...service.extra,
      ...(req.loadBalancers ? { loadBalancers: req.loadBalancers } : {}),
      ...(req.serviceRegistries ? { serviceRegistries: req.serviceRegistries } : {}),
    };
    // Checked before anything changes: a refused update leaves the service as it was.
    this.checkContainerTargets(next, extra);
    if (next !== undefined) service.taskDefinition = next;
    service.extra = structuredClone(extra);
    if (req.desiredCount !== undefined) service.desiredCount = req.desiredCount;
    if (req.taskDefinition !== undefined || req.forceNewDeployment || req.desiredCount !== undefined) {
      service.deployments = [this.deployment(service.taskDefinition, service.desiredCount)];
    }
    return { service: this.renderService(service) };
  }

  private describeServices(request: unknown): Json {
    const req = this.parse(DescribeServicesRequestSchema, request);
    if (req.services.length === 0 || req.services.length > 10) {
      throw invalidParameter('services can have at most 10 items and must have at least 1.');
    }
    const cluster = this.cluster(req.cluster);
    const services: Json[] = [];
    const failures: Json[] = [];
    for (const ref of req.services) {
      const s = this.service(cluster, ref);
      if (s) services.push(this.renderService(s));
      else {
        const arn = ref.startsWith('arn:')
          ? ref
          : `arn:aws:ecs:${this.region}:${this.account}:service/${cluster.clusterName}/${ref}`;
        failures.push({ arn, reason: 'MISSING' });
      }
    }
    return { services, failures };
  }

  private listServices(request: unknown): Json {
    const req = this.parse(ListServicesRequestSchema, request);
    const cluster = this.cluster(req.cluster);
    const arns = [...cluster.services.values()].map((s) => s.serviceArn);
    const { items, next } = this.page(arns, req.nextToken, req.maxResults ?? 10);
    return { serviceArns: items, ...(next ? { nextToken: next } : {}) };
  }

  // ---- tasks --------------------------------------------------------------------------------

  private renderTask(t: TaskRecord): Json {
    return {
      taskArn: t.taskArn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinitionArn,
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      group: t.group,
      ...(t.startedBy ? { startedBy: t.startedBy } : {}),
      ...(t.launchType ? { launchType: t.launchType } : {}),
      createdAt: t.createdAt,
      ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
      containers: [],
    };
  }

  private runTask(request: unknown, _caller: string, op: 'RunTask' | 'StartTask'): Json {
    const req = this.parse(RunTaskRequestSchema, request);
    const cluster = this.cluster(req.cluster);
    const count = op === 'StartTask' ? 1 : (req.count ?? 1);
    if (count < 1 || count > 10) throw invalidParameter('count must be between 1 and 10.');
    const td = this.activeTaskDefinition(req.taskDefinition);
    const tasks: Json[] = [];
    for (let i = 0; i < count; i++) {
      const task: TaskRecord = {
        taskArn: `arn:aws:ecs:${this.region}:${this.account}:task/${cluster.clusterName}/${this.nextId()}`,
        clusterArn: cluster.clusterArn,
        taskDefinitionArn: td.arn,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        ...(req.startedBy ? { startedBy: req.startedBy } : {}),
        group: req.group ?? `family:${td.family}`,
        ...(req.launchType ? { launchType: req.launchType } : {}),
        createdAt: this.seconds(),
      };
      cluster.tasks.set(task.taskArn, task);
      tasks.push(this.renderTask(task));
    }
    return { tasks, failures: [] };
  }

  private task(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
    if (ref.startsWith('arn:')) return cluster.tasks.get(ref);
    return [...cluster.tasks.values()].find((t) => t.taskArn.endsWith(`/${ref}`));
  }

  private stopTask(request: unknown): Json {
    const req = this.parse(StopTaskRequestSchema, request);
    const cluster = this.cluster(req.cluster);
    const task = this.task(cluster, req.task);
    if (!task) throw invalidParameter('The referenced task was not found.');
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.stoppedReason = req.reason ?? 'Task stopped by user';
    return { task: this.renderTask(task) };
  }

  private describeTasks(request: unknown): Json {
    const req = this.parse(DescribeTasksRequestSchema, request);
    if (req.tasks.length > 100) throw invalidParameter('tasks can have at most 100 items.');
    const cluster = this.cluster(req.cluster);
    const tasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of req.tasks) {
      const t = this.task(cluster, ref);
      if (t) tasks.push(this.renderTask(t));
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  private listTasks(request: unknown): Json {
    const req = this.parse(ListTasksRequestSchema, request);
    const cluster = this.cluster(req.cluster);
    const desired = req.desiredStatus ?? 'RUNNING';
    const arns = [...cluster.tasks.values()]
      .filter((t) => t.desiredStatus === desired)
      .filter((t) => (req.family ? t.taskDefinitionArn.includes(`/${req.family}:`) : true))
      .filter((t) => (req.serviceName ? t.group === `service:${req.serviceName}` : true))
      .filter((t) => (req.startedBy ? t.startedBy === req.startedBy : true))
      .map((t) => t.taskArn);
    const { items, next } = this.page(arns, req.nextToken, req.maxResults ?? 100);
    return { taskArns: items, ...(next ? { nextToken: next } : {}) };
  }
}
