import { createHash } from 'node:crypto';
import { compileRule } from './compile.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { createRuleMatcher, type MatchTarget, type RuleMatcher } from './match.js';
import type { Rule } from './rules-schema.js';
import type { PolicySnapshot, RulesStore } from './rules-store.js';

/** One container's compiled policy, its serialised body and the ETag of that body. */
export interface ServedPolicy {
  policy: CompiledPolicy;
  body: string;
  etag: string;
}

/** Beyond this many distinct containers per version, the memo starts over (bounds memory). */
const MAX_MEMO_ENTRIES = 10_000;

/**
 * One policy version held in memory: the rules, their first-match function, and a memo of the
 * compiled policy per container so that a warm request is a map look-up.
 */
export class PolicyView {
  readonly version: string;
  readonly rules: readonly Rule[];
  private readonly matcher: RuleMatcher;
  private readonly memo = new Map<string, ServedPolicy>();

  constructor(snapshot: PolicySnapshot) {
    this.version = snapshot.version;
    this.rules = snapshot.rules;
    this.matcher = createRuleMatcher(snapshot.rules);
  }

  /** The compiled policy for one container, with a strong ETag over its exact bytes. */
  policyFor(target: MatchTarget): ServedPolicy {
    const key = JSON.stringify([
      target.family,
      target.container,
      target.image ?? null,
      target.cluster ?? null,
    ]);
    const hit = this.memo.get(key);
    if (hit) return hit;
    const policy = compileRule(this.matcher(target), this.version);
    const body = JSON.stringify(policy);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const served = { policy, body, etag };
    if (this.memo.size >= MAX_MEMO_ENTRIES) this.memo.clear();
    this.memo.set(key, served);
    return served;
  }
}

/** Where the current rules come from ({@link PolicyCache} is one; admission reads the same table). */
export interface PolicySource {
  current(): Promise<PolicyView> | PolicyView;
}

/** Options of {@link PolicyCache}. */
export interface PolicyCacheOptions {
  store: RulesStore;
  /** At most one version check per this many milliseconds (default 5000). */
  checkIntervalMs?: number;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Told when a version check fails and the last known policy is served instead. */
  onStale?: (error: unknown) => void;
}

/**
 * Serves the policy from memory. A request triggers at most one cheap version check every
 * `checkIntervalMs`; only a changed version loads the rules again. Concurrent requests share one
 * refresh. When the store cannot be reached, the last loaded policy keeps being served (sidecars
 * must not lose their rules because DynamoDB hiccuped); with none loaded yet the error propagates.
 */
export class PolicyCache {
  private view: PolicyView | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<PolicyView> | undefined;
  private readonly store: RulesStore;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly onStale: ((error: unknown) => void) | undefined;

  constructor(options: PolicyCacheOptions) {
    this.store = options.store;
    this.interval = options.checkIntervalMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.onStale = options.onStale;
  }

  /** The current policy view, checking the store's version if the interval has passed. */
  current(): Promise<PolicyView> | PolicyView {
    if (this.view && this.now() - this.checkedAt < this.interval) return this.view;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Adopts a snapshot this process just wrote, so its own readers see it without waiting. */
  adopt(snapshot: PolicySnapshot): void {
    if (this.view && Number(this.view.version) > Number(snapshot.version)) return;
    this.view = new PolicyView(snapshot);
    this.checkedAt = this.now();
  }

  private async refresh(): Promise<PolicyView> {
    try {
      if (this.view) {
        const version = await this.store.version();
        if (version === this.view.version) {
          this.checkedAt = this.now();
          return this.view;
        }
      }
      const view = new PolicyView(await this.store.read());
      this.view = view;
      this.checkedAt = this.now();
      return view;
    } catch (error) {
      if (!this.view) throw error;
      this.onStale?.(error);
      // Try again after one more interval rather than on every request.
      this.checkedAt = this.now();
      return this.view;
    }
  }
}
