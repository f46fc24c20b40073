/** Time and randomness the agent's loops use; tests pass their own to run fast and deterministically. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** `base` spread by ±`ratio` so that many sidecars started together do not poll in step. */
export function jittered(base: number, ratio: number, clock: Clock): number {
  return Math.max(0, Math.round(base * (1 - ratio + 2 * ratio * clock.random())));
}
