import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECSClient, type ECSClientConfig } from '@aws-sdk/client-ecs';
import { type CallerIdentity, type CloudTrailEnvelope, cloudTrailEvent } from './cloudtrail-event.js';
import { DeliveryQueue } from './delivery-queue.js';
import { EcsApiError } from './ecs-api-error.js';
import { EcsState } from './ecs-state.js';
import { type FaultSpec, FaultSpecSchema } from './fault-spec.js';
import { seededRandom } from './seeded-random.js';

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface EcsSimulatorOptions {
  account?: string;
  region?: string;
  /** Fault probabilities; all zero by default. */
  faults?: Partial<FaultSpec>;
  seed?: number;
  /** Clock for `registeredAt`/`createdAt` and event times. */
  now?: () => number;
}

/** A running simulator: its endpoint, account state, emitted events and call counts. */
export interface EcsSimulator {
  endpoint: string;
  account: string;
  region: string;
  state: EcsState;
  /** CloudTrail events of every mutating call, as EventBridge would deliver them. */
  events: DeliveryQueue<CloudTrailEnvelope>;
  /** Calls received per operation, including refused and faulted ones (they cost quota too). */
  apiCalls: Record<string, number>;
  /** Calls received per operation from one caller (by access key). */
  callsBy(identity: CallerIdentity): Record<string, number>;
  /** Registers a caller: each client made for it signs with its own access key, so events carry its ARN. */
  identity(roleName: string, sessionName?: string): CallerIdentity;
  /** The default caller, standing for a person or pipeline in the account. */
  readonly user: CallerIdentity;
  /** SDK configuration that points an unchanged `ECSClient` at the simulator as `identity`. */
  clientConfig(identity?: CallerIdentity): ECSClientConfig;
  client(identity?: CallerIdentity): ECSClient;
  /** Turns fault injection off (e.g. while loading an account) or back on. */
  faultsEnabled: boolean;
  resetCounts(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts an ECS simulator on 127.0.0.1 that speaks the ECS JSON 1.1 protocol (POST /,
 * `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`), so the unchanged SDK client
 * works against it through an endpoint override. The caller of each request is recognised from the
 * access key in its SigV4 `Authorization` header (signatures are not checked).
 */
export async function startEcsSimulator(options: EcsSimulatorOptions = {}): Promise<EcsSimulator> {
  const account = options.account ?? '111122223333';
  const region = options.region ?? 'us-east-1';
  const faults = FaultSpecSchema.parse(options.faults ?? {});
  const random = seededRandom(options.seed ?? 1);
  const now = options.now ?? Date.now;
  const state = new EcsState(account, region, now);
  const events = new DeliveryQueue<CloudTrailEnvelope>(random, faults);
  const identities = new Map<string, CallerIdentity>();
  const perCaller = new Map<string, Record<string, number>>();
  const apiCalls: Record<string, number> = {};

  const identity = (roleName: string, sessionName = roleName): CallerIdentity => {
    const roleArn = `arn:aws:iam::${account}:role/${roleName}`;
    const existing = [...identities.values()].find((i) => i.roleArn === roleArn);
    if (existing) return existing;
    const id: CallerIdentity = {
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      roleArn,
      accessKeyId: `ASIA${String(identities.size + 1).padStart(16, '0')}`,
    };
    identities.set(id.accessKeyId, id);
    return id;
  };
  const user = identity('Admin', 'user');

  const callerOf = (req: IncomingMessage): CallerIdentity => {
    const auth = req.headers.authorization ?? '';
    const key = /Credential=([^/,\s]+)\//.exec(auth)?.[1];
    return (key && identities.get(key)) || user;
  };

  const sim: EcsSimulator = {
    endpoint: '',
    account,
    region,
    state,
    events,
    apiCalls,
    user,
    faultsEnabled: true,
    identity,
    callsBy: (id) => ({ ...(perCaller.get(id.accessKeyId) ?? {}) }),
    clientConfig: (id = user) => ({
      endpoint: sim.endpoint,
      region,
      credentials: { accessKeyId: id.accessKeyId, secretAccessKey: 'simulator' },
    }),
    client: (id = user) => new ECSClient(sim.clientConfig(id)),
    resetCounts: () => {
      for (const k of Object.keys(apiCalls)) delete apiCalls[k];
      perCaller.clear();
    },
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };

  const inject = (operation: string): EcsApiError | undefined => {
    if (!sim.faultsEnabled) return undefined;
    if (random() < faults.throttle) return new EcsApiError('ThrottlingException', 'Rate exceeded');
    if (random() < faults['server-error']) {
      return new EcsApiError('ServerException', 'Service Unavailable. Please try again later.', 500);
    }
    if (operation === 'RegisterTaskDefinition' && random() < faults['concurrent-revision']) {
      return new EcsApiError(
        'ClientException',
        'Too many concurrent attempts to create a new revision of the specified family.',
      );
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId });
      res.end(JSON.stringify(body));
    };
    const fail = (e: EcsApiError) => send(e.status, { __type: e.type, message: e.message });
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = await readBody(req);
    if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      return fail(new EcsApiError('UnknownOperationException', `Unknown target "${target}"`));
    }
    const operation = target.slice(TARGET_PREFIX.length);
    const caller = callerOf(req);
    apiCalls[operation] = (apiCalls[operation] ?? 0) + 1;
    const mine = perCaller.get(caller.accessKeyId) ?? {};
    mine[operation] = (mine[operation] ?? 0) + 1;
    perCaller.set(caller.accessKeyId, mine);
    const impl = state.operations[operation];
    if (!impl) return fail(new EcsApiError('UnknownOperationException', `Unknown operation ${operation}`));
    let request: unknown;
    try {
      request = body.length > 0 ? JSON.parse(body) : {};
    } catch {
      return fail(new EcsApiError('SerializationException', 'Request body is not valid JSON.'));
    }
    const mutating = EcsState.MUTATING.has(operation);
    const emit = (response: unknown, error?: EcsApiError) => {
      if (!mutating) return;
      events.push(
        cloudTrailEvent({
          operation,
          request,
          response,
          ...(error ? { error: { code: error.type, message: error.message } } : {}),
          caller,
          account,
          region,
          time: new Date(now()),
          requestId,
        }),
      );
    };
    const injected = inject(operation);
    if (injected) {
      emit(undefined, injected);
      return fail(injected);
    }
    try {
      const response = impl(request, caller.arn);
      emit(response);
      return send(200, response);
    } catch (error) {
      if (error instanceof EcsApiError) {
        emit(undefined, error);
        return fail(error);
      }
      return fail(new EcsApiError('ServerException', 'Internal simulator error.', 500));
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sim.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sim;
}
