import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Audit } from '../audit/audit.js';
import { DETAIL_TYPE, type EventBus } from '../aws/event-bus.js';
import type { ImageConfigResolver } from '../embed/image-config.js';
import { mintDefenderToken } from '../policy/defender-token.js';
import { tokenAdminAuthenticator } from '../policy/http/auth.js';
import { embedRoute } from '../policy/http/embed-route.js';
import type { Route } from '../policy/http/router.js';
import { RULES_BODY_LIMIT } from '../policy/http/rules-routes.js';
import { createPolicyService, type PolicyService } from '../policy/policy-service.js';
import { FileBus, type LocalBusEvent } from './file-bus.js';
import { FileRulesStore } from './file-rules-store.js';
import { ensureAdminToken, ensureSigningKey, LOCAL_FILES } from './local-secrets.js';
import { serveNodeRequest } from './node-http-adapter.js';

/** The account local tokens and events carry unless told otherwise. */
export const LOCAL_ACCOUNT = '000000000000';

/**
 * A handler mounted in front of the policy router (e.g. the ECS simulator, which speaks the AWS JSON
 * protocol on `POST /`). Return true when it answered the request, false to let the router have it.
 */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Folder holding the stack's state (created, mode 0700). */
  dataDir: string;
  /** Port on 127.0.0.1 (0: any free port; read it from the result). Default 8080. */
  port?: number;
  /** Listen address; loopback by default (the admin token is the only protection). */
  host?: string;
  /** Account of local tokens and bus events (default 000000000000). */
  account?: string;
  /** Embed configuration for `POST /v1/embed` (default `{}`; `policyUrl` defaults to this stack). */
  embedConfig?: unknown;
  /** Image look-up for `POST /v1/embed` (none: containers without entryPoint are rejected). */
  resolver?: ImageConfigResolver;
  /** Extra routes served by the same router and auth (admin routes use the local admin token). */
  routes?: readonly Route[] | ((stack: LocalStackContext) => readonly Route[]);
  /** Handlers tried before the router, in order (see {@link RawHandler}). */
  rawHandlers?: readonly RawHandler[] | ((stack: LocalStackContext) => readonly RawHandler[]);
  /** Called once the server listens (mount more things, print a banner); failing it stops the stack. */
  onStarted?: (stack: LocalStack) => void | Promise<void>;
  /** Where human-readable lines go (default: stdout), one call per line without the newline. */
  log?: (line: string) => void;
  /** Milliseconds between policy version checks (default 1000; the file store is cheap to check). */
  checkIntervalMs?: number;
  now?: () => number;
}

/** What the extension points of {@link LocalStackOptions} receive before the server starts. */
export interface LocalStackContext {
  dataDir: string;
  account: string;
  /** The bus: every entry lands in `DIR/events.ndjson` (audits are also printed). */
  bus: EventBus;
  /** Prints one line through the stack's log. */
  log: (line: string) => void;
  /** The local admin token (`DIR/admin-token`). */
  adminToken: string;
  /** Mints a defender token for a family with the stack's key. */
  mintToken: (family: string, options?: { account?: string; ttlSeconds?: number }) => string;
}

/** A running local stack. */
export interface LocalStack extends LocalStackContext {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  /** Paths of the state files. */
  files: { signingKey: string; adminToken: string; rules: string; events: string };
  service: PolicyService;
  server: Server;
  /** Runs on close, last registered first (e.g. stop a mounted simulator). */
  onClose(hook: () => void | Promise<void>): void;
  close(): Promise<void>;
}

/** One line per audit, in the console's words: who, what, which rule, and the defender's message. */
export function formatAuditLine(audit: Audit): string {
  const where = `${audit.family}/${audit.container}${audit.task ? ` task ${audit.task.split('/').pop()}` : ''}`;
  const rule = audit.rule === null ? 'default policy' : `rule ${audit.rule}`;
  return `audit ${audit.time} ${where} ${audit.effect.toUpperCase()} ${audit.kind} (${rule}): ${audit.message}`;
}

function describeEvent(event: LocalBusEvent): string {
  if (event['detail-type'] === DETAIL_TYPE.audit) return formatAuditLine(event.detail as Audit);
  const detail = event.detail as { outcome?: unknown; reason?: unknown };
  const summary =
    typeof detail?.outcome === 'string'
      ? ` ${detail.outcome}${typeof detail.reason === 'string' ? `: ${detail.reason}` : ''}`
      : '';
  return `event ${event.time} ${event['detail-type']}${summary}`;
}

/**
 * Starts the local stack: the policy API (same router as the Lambda) on `http://HOST:PORT/v1/...`,
 * state in `dataDir`:
 * - `rules.json`: the rules and policy version (FileRulesStore: atomic rename, survives restarts);
 * - `signing-key`, `admin-token`: created once with mode 0600 and reused;
 * - `events.ndjson`: every bus event, EventBridge-shaped, one per line; audits are also printed.
 * Admin routes take `Authorization: Bearer <admin-token>`; sidecar routes take defender tokens
 * (`ecs-admission token --family F --data DIR`).
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir);
  const account = options.account ?? LOCAL_ACCOUNT;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const signingKey = await ensureSigningKey(dataDir);
  const adminToken = await ensureAdminToken(dataDir);
  const files = {
    signingKey: join(dataDir, LOCAL_FILES.signingKey),
    adminToken: join(dataDir, LOCAL_FILES.adminToken),
    rules: join(dataDir, LOCAL_FILES.rules),
    events: join(dataDir, LOCAL_FILES.events),
  };
  const bus = new FileBus({
    path: files.events,
    account,
    ...(options.now ? { now: () => new Date((options.now as () => number)()) } : {}),
    onEvent: (event) => log(describeEvent(event)),
  });
  const mintToken: LocalStackContext['mintToken'] = (family, o = {}) =>
    mintDefenderToken(
      {
        account: o.account ?? account,
        family,
        ...(o.ttlSeconds !== undefined ? { ttlSeconds: o.ttlSeconds } : {}),
        ...(options.now ? { now: options.now() } : {}),
      },
      signingKey,
    );
  const context: LocalStackContext = { dataDir, account, bus, log, adminToken, mintToken };

  let url = '';
  const extraRoutes = typeof options.routes === 'function' ? options.routes(context) : (options.routes ?? []);
  const rawHandlers =
    typeof options.rawHandlers === 'function' ? options.rawHandlers(context) : (options.rawHandlers ?? []);
  const service = createPolicyService({
    store: new FileRulesStore(dataDir),
    bus,
    signingKeys: [signingKey],
    authenticateAdmin: tokenAdminAuthenticator(adminToken),
    checkIntervalMs: options.checkIntervalMs ?? 1000,
    ...(options.now ? { now: options.now } : {}),
    onError: (error, request) =>
      log(
        `error ${request ? `${request.method} ${request.path}: ` : ''}${error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error'}`,
      ),
    extraRoutes: (cache) => [
      embedRoute({
        policies: cache,
        config: options.embedConfig ?? {},
        signingKeys: [signingKey],
        defaultAccount: account,
        policyUrlFor: () => url,
        ...(options.resolver ? { resolver: options.resolver } : {}),
        ...(options.now ? { now: options.now } : {}),
      }),
      ...extraRoutes,
    ],
  });

  const server = createServer((req, res) => {
    void (async () => {
      for (const raw of rawHandlers) {
        if (await raw(req, res)) return;
      }
      await serveNodeRequest(service.handle, req, res, RULES_BODY_LIMIT);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal","message":"internal error"}');
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const hooks: (() => void | Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const stack: LocalStack = {
    ...context,
    url,
    port,
    files,
    service,
    server,
    onClose: (hook) => {
      hooks.push(hook);
    },
    close: () => {
      closing ??= (async () => {
        for (const hook of hooks.reverse()) await hook();
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
  try {
    await options.onStarted?.(stack);
  } catch (error) {
    await stack.close();
    throw error;
  }
  return stack;
}
