/**
 * weakwire/jest: registers `toBeCollected()` and `toBeRetained()` on Jest's `expect`.
 *
 * Add it to the Jest config: `setupFilesAfterEnv: ['weakwire/jest']`, then
 * `await expect(track(obj)).toBeCollected()`. Both matchers are async: always `await` them.
 * @packageDocumentation
 */
import type { CollectedOptions, RetainedOptions } from './track';
import { isTracker } from './track';

export type { CollectedOptions, RetainedOptions } from './track';

interface WeakwireMatchers<R> {
  /**
   * Passes once the tracked object has been garbage collected, running GC and event-loop turns
   * for up to `timeout` ms (default 2000). The failure message says how many GC rounds were tried.
   */
  toBeCollected(options?: CollectedOptions): Promise<R>;
  /**
   * Passes if the tracked object survives `rounds` GC rounds (default 10): something still
   * references it. The failure message says after how many rounds it was collected.
   */
  toBeRetained(options?: RetainedOptions): Promise<R>;
}

// Types for @types/jest's global `expect` (what ts-jest projects use).
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends WeakwireMatchers<R> {}
  }
}

interface MatcherResult {
  pass: boolean;
  message: () => string;
}

interface MatcherContext {
  isNot?: boolean;
  utils?: { printReceived?: (value: unknown) => string };
}

type Extend = (matchers: Record<string, (this: MatcherContext, ...args: never[]) => unknown>) => void;

function notATracker(matcher: string, received: unknown): MatcherResult {
  const what = received === null ? 'null' : typeof received;
  return {
    pass: false,
    message: () =>
      `expect(received).${matcher}(): received must be a tracker from track(obj) ` +
      `(weakwire/testing); got ${what}. Passing the object itself would keep it alive.`,
  };
}

async function toBeCollected(
  this: MatcherContext,
  received: unknown,
  options?: CollectedOptions,
): Promise<MatcherResult> {
  if (!isTracker(received)) return notATracker('toBeCollected', received);
  const result = await received.waitForCollection(options);
  const rounds = `${result.rounds} GC round${result.rounds === 1 ? '' : 's'}`;
  return {
    pass: result.collected,
    message: () =>
      result.collected
        ? `expected ${received.label} not to be collected, but it was collected after ${rounds} ` +
          `(${result.elapsedMs} ms)`
        : `expected ${received.label} to be collected, but it is still alive after ${rounds} ` +
          `(${result.elapsedMs} ms): something still references it`,
  };
}

async function toBeRetained(
  this: MatcherContext,
  received: unknown,
  options?: RetainedOptions,
): Promise<MatcherResult> {
  if (!isTracker(received)) return notATracker('toBeRetained', received);
  const result = await received.retained(options);
  const rounds = `${result.rounds} GC round${result.rounds === 1 ? '' : 's'}`;
  return {
    pass: !result.collected,
    message: () =>
      result.collected
        ? `expected ${received.label} to be retained, but it was collected after ${rounds} ` +
          `(${result.elapsedMs} ms)`
        : `expected ${received.label} not to be retained, but it is still alive after ${rounds} ` +
          `(${result.elapsedMs} ms)`,
  };
}

const jestExpect = (globalThis as { expect?: { extend?: Extend } }).expect;
if (jestExpect === undefined || typeof jestExpect.extend !== 'function') {
  throw new Error(
    'weakwire/jest: no global expect.extend here. Load it from Jest\'s setupFilesAfterEnv ' +
      '(not setupFiles, which run before expect exists), or use the plain functions of ' +
      'weakwire/testing with other test runners.',
  );
}
jestExpect.extend({ toBeCollected, toBeRetained } as unknown as Parameters<Extend>[0]);
