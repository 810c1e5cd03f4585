/**
 * `toBeCollected()` and `toBeRetained()`, written once for every runner whose `expect.extend`
 * takes Jest-style matchers (Jest, Vitest). weakwire/jest and weakwire/vitest register them.
 * @packageDocumentation
 */
import type { CollectedOptions, RetainedOptions } from './track';
import { formatRetainers, isTracker, type Tracker } from './track';

/** The matchers' types, merged into each runner's `Matchers` interface. */
export interface WeakwireMatchers<R> {
  /**
   * Passes once the tracked object has been garbage collected, running GC and event-loop turns
   * for up to `timeout` ms (default 2000). The failure message says how many GC rounds were tried
   * and the path of references that keeps the object alive.
   */
  toBeCollected(options?: CollectedOptions): Promise<R>;
  /**
   * Passes if the tracked object survives `rounds` GC rounds (default 10): something still
   * references it. The failure message says after how many rounds it was collected.
   */
  toBeRetained(options?: RetainedOptions): Promise<R>;
}

/** What a matcher returns to `expect`. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/** The part of the runner's matcher context these matchers read. */
export interface MatcherContext {
  isNot?: boolean;
}

function notATracker(matcher: string, received: unknown): MatcherResult {
  const what = received === null ? 'null' : typeof received;
  return {
    pass: false,
    message: () =>
      `expect(received).${matcher}(): received must be a tracker from track(obj) ` +
      `(weakwire/testing); got ${what}. Passing the object itself would keep it alive.`,
  };
}

function roundsText(rounds: number): string {
  return `${rounds} GC round${rounds === 1 ? '' : 's'}`;
}

// The path is looked up only when the assertion fails because the object is alive.
async function retainers(tracker: Tracker, wanted: boolean): Promise<string> {
  return wanted ? formatRetainers(await tracker.explain()) : '';
}

async function toBeCollected(
  this: MatcherContext,
  received: unknown,
  options?: CollectedOptions,
): Promise<MatcherResult> {
  if (!isTracker(received)) return notATracker('toBeCollected', received);
  const result = await received.waitForCollection(options);
  const rounds = roundsText(result.rounds);
  const path = await retainers(received, !result.collected && !this.isNot && options?.retainers !== false);
  return {
    pass: result.collected,
    message: () =>
      result.collected
        ? `expected ${received.label} not to be collected, but it was collected after ${rounds} ` +
          `(${result.elapsedMs} ms)`
        : `expected ${received.label} to be collected, but it is still alive after ${rounds} ` +
          `(${result.elapsedMs} ms): something still references it${path}`,
  };
}

async function toBeRetained(
  this: MatcherContext,
  received: unknown,
  options?: RetainedOptions,
): Promise<MatcherResult> {
  if (!isTracker(received)) return notATracker('toBeRetained', received);
  const result = await received.retained(options);
  const rounds = roundsText(result.rounds);
  const path = await retainers(received, !result.collected && this.isNot === true);
  return {
    pass: !result.collected,
    message: () =>
      result.collected
        ? `expected ${received.label} to be retained, but it was collected after ${rounds} ` +
          `(${result.elapsedMs} ms)`
        : `expected ${received.label} not to be retained, but it is still alive after ${rounds} ` +
          `(${result.elapsedMs} ms)${path}`,
  };
}

/** The matchers, for `expect.extend(matchers)`. */
export const matchers = { toBeCollected, toBeRetained };
