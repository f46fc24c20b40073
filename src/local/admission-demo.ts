import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenFor } from '../admission/twin-token.js';
import type { EventBus } from '../aws/event-bus.js';
import { parseAccountText } from '../cli/commands/simulate.js';
import { type EmbedConfig, resolveEmbedConfig } from '../embed/config.js';
import type { Decision } from '../embed/decision.js';
import type { PolicySource } from '../policy/policy-cache.js';
import { type AdmissionReplay, startAdmissionReplay } from './admission-replay.js';
import type { LocalStack } from './local-stack.js';

export interface AdmissionDemoOptions {
  /** Project folder holding `examples/account.json` and `events/`. */
  root: string;
  log: (line: string) => void;
  embed?: EmbedConfig;
  /** The local stack's bus: decisions and sweep summaries land in its events file too. */
  bus?: EventBus;
  /** Mints the twins' defender tokens: the local stack's `mintToken`, so its policy API accepts them. */
  tokenFor?: TokenFor;
  /** The local stack's rules: a WAAS rule for a family moves its twins' web port to the sidecar. */
  policies?: PolicySource;
  /** How often new simulator events (your own calls) are admitted, in ms (default 250). */
  pollMs?: number;
}

export interface AdmissionDemo {
  replay: AdmissionReplay;
  /** `http://127.0.0.1:PORT` of the ECS simulator (`aws ecs --endpoint-url ...` works against it). */
  ecsEndpoint: string;
  close(): Promise<void>;
}

/**
 * The demo as `ecs-admission local --demo` mounts it on a local stack: decisions printed by and put
 * on the stack, twins' sidecars pointed at the stack with defender tokens minted with its key for
 * the sample account, so the stack's policy API accepts them.
 */
export function demoOptionsFor(stack: LocalStack, root: string): AdmissionDemoOptions {
  return {
    root,
    embed: resolveEmbedConfig({ policyUrl: stack.url }),
    log: stack.log,
    bus: stack.bus,
    tokenFor: (account, family) => stack.mintToken(family, { account }),
    policies: stack.service.cache,
  };
}

const short = (arn: string | undefined) => (arn ? (arn.split('/').slice(-1)[0] ?? arn) : '?');
const target = (t: string) => (t.includes(':service/') ? t.split(':service/')[1] : short(t));

/** One line per decision, as the demo prints it. */
export function formatDecision(d: Decision): string {
  const src = d.source.arn
    ? short(d.source.arn)
    : `${d.source.family ?? '?'}${d.source.revision ? `:${d.source.revision}` : ''}`;
  const twin = d.protectedRevision?.arn ? ` → ${short(d.protectedRevision.arn)}` : '';
  const actions = d.actions.map((a) => `${a.kind} ${target(a.target)} ${a.result}`).join('; ');
  const why = d.reason ? ` (${d.reason})` : '';
  return `admission [${d.trigger?.eventName ?? d.trigger?.source ?? 'event'}] ${d.outcome} ${src}${twin}${why}${actions ? `: ${actions}` : ''}`;
}

/**
 * The admission part of `npm start`: the ECS simulator with the sample account, the recorded
 * events of `events/` replayed through the real handler (each decision printed as it happens),
 * one sweep, and then a loop that admits whatever you do against the simulator yourself.
 */
export async function startAdmissionDemo(o: AdmissionDemoOptions): Promise<AdmissionDemo> {
  const accountPath = join(o.root, 'examples', 'account.json');
  const account = parseAccountText(readFileSync(accountPath, 'utf8'), accountPath);
  const replay = await startAdmissionReplay({
    account,
    ...(o.embed ? { embed: o.embed } : {}),
    ...(o.bus ? { forward: o.bus } : {}),
    ...(o.tokenFor ? { tokenFor: o.tokenFor } : {}),
    ...(o.policies ? { policies: o.policies } : {}),
    onDecision: (d) => o.log(formatDecision(d)),
  });
  o.log(`admission: ECS simulator on ${replay.sim.endpoint} (account ${account.account}, ${account.region})`);
  const eventsDir = join(o.root, 'events');
  for (const file of readdirSync(eventsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    o.log(`admission: replaying events/${file}`);
    const event: unknown = JSON.parse(readFileSync(join(eventsDir, file), 'utf8'));
    await replay.deliver(event);
    await replay.settle();
  }
  const summary = await replay.runtime.sweep(() => Number.POSITIVE_INFINITY);
  await replay.settle();
  o.log(
    `admission: sweep checked ${summary.summary.servicesChecked} service(s): ${Object.entries(
      summary.summary.counts,
    )
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  let busy = false;
  const timer = setInterval(() => {
    if (busy || replay.sim.events.size === 0) return;
    busy = true;
    replay
      .settle()
      .catch((error: unknown) =>
        o.log(`admission: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        busy = false;
      });
  }, o.pollMs ?? 250);
  return {
    replay,
    ecsEndpoint: replay.sim.endpoint,
    close: async () => {
      clearInterval(timer);
      await replay.close();
    },
  };
}
