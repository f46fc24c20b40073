import { z } from 'zod';
import { DEFENDER_LABEL, SOURCE_TAG } from '../embed/marker.js';

/** The EventBridge envelope; only what classification reads is typed, the rest passes through. */
export const EventEnvelopeSchema = z.looseObject({
  id: z.string().optional(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({}).nullable().optional(),
});
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

const Obj = z.record(z.string(), z.unknown());
/** A CloudTrail record's `detail`, as EventBridge forwards it. */
export const CloudTrailDetailSchema = z.looseObject({
  eventName: z.string(),
  eventSource: z.string().optional(),
  errorCode: z.string().optional(),
  eventID: z.string().optional(),
  userIdentity: z
    .looseObject({
      arn: z.string().optional(),
      sessionContext: z
        .looseObject({ sessionIssuer: z.looseObject({ arn: z.string().optional() }).optional() })
        .optional(),
    })
    .optional(),
  requestParameters: Obj.nullable().optional(),
  responseElements: Obj.nullable().optional(),
});
export type CloudTrailDetail = z.infer<typeof CloudTrailDetailSchema>;

export const HANDLED_CALLS = [
  'RegisterTaskDefinition',
  'CreateService',
  'UpdateService',
  'RunTask',
  'StartTask',
] as const;

export interface TaskRef {
  taskArn: string;
  taskDefinitionArn: string;
  startedBy?: string;
  group?: string;
}

interface Common {
  eventId: string | undefined;
  eventName: string;
}

/** What an incoming event asks of the controller; `ignored`/`own-call` cost no API call. */
export type ClassifiedEvent =
  | (Common & { kind: 'ignored'; reason: string })
  | (Common & { kind: 'own-call'; reason: string })
  | (Common & { kind: 'register'; taskDefinition: string; family: string | undefined })
  | (Common & {
      kind: 'service';
      cluster: string;
      service: string;
      /** What the event says the service now runs (stale when events are reordered). */
      taskDefinition: string | undefined;
      serviceArn: string | undefined;
      deploymentController: string | undefined;
    })
  | (Common & { kind: 'task'; cluster: string; tasks: TaskRef[] })
  | (Common & {
      kind: 'deployment-failed';
      cluster: string;
      service: string;
      serviceArn: string;
      reason: string;
    });

export interface ClassifyOptions {
  /** Role (or session) ARNs of the controller itself. */
  ownRoleArns: readonly string[];
  /** Role names whose sessions in any account are the controller (the member-account role). */
  ownRoleNames?: readonly string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** `arn:aws:ecs:r:a:cluster/NAME` or `NAME` → NAME; absent → `default`, as ECS does. */
export function clusterName(ref: string | undefined): string {
  if (!ref) return 'default';
  return ref.includes(':cluster/') ? ref.slice(ref.indexOf(':cluster/') + 9) : ref;
}

/** Family of a task definition reference (ARN, `family:revision` or `family`). */
export function familyOf(ref: string): string {
  const tail = ref.includes(':task-definition/') ? ref.slice(ref.indexOf(':task-definition/') + 17) : ref;
  return tail.replace(/:\d+$/, '');
}

function isOwnIdentity(detail: CloudTrailDetail, options: ClassifyOptions): boolean {
  const own = options.ownRoleArns;
  const names = options.ownRoleNames ?? [];
  const ids = [detail.userIdentity?.arn, detail.userIdentity?.sessionContext?.sessionIssuer?.arn].filter(
    (id): id is string => typeof id === 'string',
  );
  return ids.some((id) => {
    const role = roleOfSession(id) ?? id;
    if (own.includes(id) || own.includes(role)) return true;
    const name = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(role)?.[1];
    return name !== undefined && names.includes(name);
  });
}

/** `arn:aws:sts::A:assumed-role/NAME/session` → `arn:aws:iam::A:role/NAME` (path-less roles). */
function roleOfSession(arn: string): string | undefined {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/**
 * A registration that carries the protection marker in its request: the marker tag and a
 * sidecar labelled as ours. Both are required, so a look-alike tag alone does not skip
 * protection (the content is checked again wherever the revision is used).
 */
function carriesMarker(request: Record<string, unknown> | undefined): boolean {
  if (!request) return false;
  const tags = Array.isArray(request.tags) ? request.tags : [];
  const tagged = tags.some((t) => obj(t)?.key === SOURCE_TAG);
  const containers = Array.isArray(request.containerDefinitions) ? request.containerDefinitions : [];
  const labelled = containers.some((c) => obj(obj(c)?.dockerLabels)?.[DEFENDER_LABEL] !== undefined);
  return tagged && labelled;
}

/** Accepts the EventBridge envelope or a bare CloudTrail record (as trails and the corpus hold them). */
function envelopeOf(raw: unknown): EventEnvelope | undefined {
  const env = EventEnvelopeSchema.safeParse(raw);
  if (env.success) return env.data;
  const record = obj(raw);
  if (record && typeof record.eventName === 'string' && typeof record.eventSource === 'string') {
    return {
      'detail-type': 'AWS API Call via CloudTrail',
      source: record.eventSource === 'ecs.amazonaws.com' ? 'aws.ecs' : record.eventSource,
      ...(typeof record.eventID === 'string' ? { id: record.eventID } : {}),
      detail: record,
    };
  }
  return undefined;
}

/**
 * Classifies an incoming event without any API call. Only successful CloudTrail records of the
 * handled ECS calls and deployment failures need work; the controller's own calls (its role, or
 * the protection marker in a registration) are recognised and skipped.
 */
export function classifyEvent(raw: unknown, options: ClassifyOptions): ClassifiedEvent {
  const env = envelopeOf(raw);
  if (!env) return { kind: 'ignored', eventId: undefined, eventName: '', reason: 'not an EventBridge event' };
  const eventId = env.id;
  if (env.source !== 'aws.ecs') {
    return { kind: 'ignored', eventId, eventName: '', reason: `source ${env.source} is not aws.ecs` };
  }
  if (env['detail-type'] === 'ECS Deployment State Change') {
    const d = obj(env.detail) ?? {};
    const name = str(d.eventName) ?? '';
    const serviceArn = env.resources?.find((r) => r.includes(':service/'));
    if (name === 'SERVICE_DEPLOYMENT_FAILED' && serviceArn) {
      const [, cluster = 'default', service = ''] = /:service\/([^/]+)\/(.+)$/.exec(serviceArn) ?? [];
      return {
        kind: 'deployment-failed',
        eventId,
        eventName: name,
        cluster,
        service,
        serviceArn,
        reason: str(d.reason) ?? 'deployment failed',
      };
    }
    return {
      kind: 'ignored',
      eventId,
      eventName: name,
      reason: `deployment state ${name || 'unknown'} needs nothing`,
    };
  }
  if (env['detail-type'] !== 'AWS API Call via CloudTrail') {
    return {
      kind: 'ignored',
      eventId,
      eventName: '',
      reason: `detail-type "${env['detail-type']}" is not handled`,
    };
  }
  const parsed = CloudTrailDetailSchema.safeParse(env.detail);
  if (!parsed.success)
    return { kind: 'ignored', eventId, eventName: '', reason: 'CloudTrail detail without eventName' };
  const detail = parsed.data;
  const eventName = detail.eventName;
  const common = { eventId: detail.eventID ?? eventId, eventName };
  if (!(HANDLED_CALLS as readonly string[]).includes(eventName)) {
    return { ...common, kind: 'ignored', reason: `${eventName} is not a call the controller reacts to` };
  }
  if (detail.errorCode)
    return { ...common, kind: 'ignored', reason: `the call failed (${detail.errorCode})` };
  if (isOwnIdentity(detail, options)) {
    return { ...common, kind: 'own-call', reason: 'made by the controller itself (its role)' };
  }
  const req = detail.requestParameters ?? undefined;
  const res = detail.responseElements ?? undefined;

  if (eventName === 'RegisterTaskDefinition') {
    if (carriesMarker(req)) {
      return { ...common, kind: 'own-call', reason: 'the registration carries the protection marker' };
    }
    const td = obj(res?.taskDefinition);
    const arn = str(td?.taskDefinitionArn);
    const family = str(td?.family) ?? str(req?.family);
    // CloudTrail may trim responseElements; the bare family then means its latest revision.
    const ref = arn ?? family;
    if (!ref) return { ...common, kind: 'ignored', reason: 'the record names no task definition' };
    return { ...common, kind: 'register', taskDefinition: ref, family };
  }

  if (eventName === 'CreateService' || eventName === 'UpdateService') {
    const svc = obj(res?.service);
    const service = str(svc?.serviceName) ?? str(req?.serviceName) ?? str(req?.service);
    if (!service) return { ...common, kind: 'ignored', reason: 'the record names no service' };
    const serviceName = service.includes('/') ? service.slice(service.lastIndexOf('/') + 1) : service;
    return {
      ...common,
      kind: 'service',
      cluster: clusterName(str(svc?.clusterArn) ?? str(req?.cluster)),
      service: serviceName,
      taskDefinition: str(svc?.taskDefinition) ?? str(req?.taskDefinition),
      serviceArn: str(svc?.serviceArn),
      deploymentController: str(obj(svc?.deploymentController)?.type),
    };
  }

  // RunTask / StartTask
  const tasks: TaskRef[] = [];
  for (const t of Array.isArray(res?.tasks) ? res.tasks : []) {
    const task = obj(t);
    const taskArn = str(task?.taskArn);
    const taskDefinitionArn = str(task?.taskDefinitionArn);
    if (!taskArn || !taskDefinitionArn) continue;
    tasks.push({
      taskArn,
      taskDefinitionArn,
      ...(str(task?.startedBy) ? { startedBy: str(task?.startedBy) } : {}),
      ...(str(task?.group) ? { group: str(task?.group) } : {}),
    });
  }
  if (tasks.length === 0) return { ...common, kind: 'ignored', reason: 'no task was started' };
  const firstCluster = str(
    obj(res?.tasks && Array.isArray(res.tasks) ? res.tasks[0] : undefined)?.clusterArn,
  );
  return { ...common, kind: 'task', cluster: clusterName(firstCluster ?? str(req?.cluster)), tasks };
}
