import { gcRound } from './gc';
import { explainRetention } from './retainers';

/** How long {@link Tracker.collected} keeps trying. */
export interface CollectedOptions {
  /** Milliseconds to keep collecting before giving up (default 2000). */
  timeout?: number;
  /**
   * On failure, take a heap snapshot and name what still references the object (default true).
   * A passing check never takes one.
   */
  retainers?: boolean;
}

/** How long {@link Tracker.retained} keeps trying to collect before calling the object retained. */
export interface RetainedOptions {
  /** GC rounds to run (default 10). */
  rounds?: number;
}

/** What a wait for collection found. */
export interface CollectionResult {
  collected: boolean;
  /** GC rounds run (0 when the object was already collected). */
  rounds: number;
  elapsedMs: number;
}

/** Marks trackers (local and remote) for every copy of this module. @internal */
export const BRAND = Symbol.for('weakwire.tracker');
const DEFAULT_TIMEOUT = 2000;
// Even with a tiny timeout (or a GC that is slow, as under valgrind), try a few rounds.
const MIN_ROUNDS = 3;

// Module level on purpose: a callback created inside a function could reach that function's
// variables (V8 closures keep their whole creation context), and through them the target.
function markCollected(state: { collected: boolean }): void {
  state.collected = true;
}

// One registry per copy of this module, that is per realm (a jest test file has its own): it is
// reachable only from that realm, so a tracker whose object stays alive can never keep a finished
// test file's realm alive, as a process-wide native record holding the realm's callback would.
// The callback runs no user code, so it marks the state at once instead of deferring.
const registry = new FinalizationRegistry(markCollected);

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

function checkCount(value: unknown, name: string, fn: string, allowZero: boolean): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (allowZero ? value >= 0 : value > 0) &&
    (name !== 'options.rounds' || Number.isInteger(value));
  if (!ok) {
    const what = allowZero ? 'a non-negative number' : 'a positive integer';
    throw new TypeError(`${fn}: ${name} must be ${what}; got ${String(value)}`);
  }
  return value as number;
}

/**
 * Watches one object without keeping it alive: a WeakRef, emptied by the collection itself, and a
 * FinalizationRegistry of the test's own realm each prove that it was collected; the WeakRef also
 * finds the object again to explain a failure.
 * Needs neither backend, so it works wherever the addon cannot load. Create it with {@link track}.
 */
export class Tracker {
  /** Shown in failure messages. */
  readonly label: string;
  readonly #state: { collected: boolean };
  readonly #ref: WeakRef<object>;

  /** @internal use {@link track} */
  constructor(target: object, label: string) {
    this.label = label;
    const state = { collected: false };
    this.#state = state;
    this.#ref = new WeakRef(target);
    Object.defineProperty(this, BRAND, { value: true });
    registry.register(target, state);
  }

  /**
   * Whether the object's collection has been seen. The registry reports it on an event-loop turn
   * after the collection, so right after a synchronous `forceGC()` this can still be false: await
   * {@link collected} instead. (It never reads the WeakRef: a read would keep a live object until
   * the current job ends, and a loop that asks, collects and yields would never see it go.)
   */
  isCollected(): boolean {
    return this.#state.collected;
  }

  /**
   * Whether the object is gone, by the registry or by the WeakRef, which the collection empties
   * itself (so this holds even when the engine stops delivering registry callbacks). Called only
   * where a turn follows before the next collection.
   */
  #seen(): boolean {
    if (!this.#state.collected && this.#ref.deref() === undefined) this.#state.collected = true;
    return this.#state.collected;
  }

  /**
   * Alternates GC and event-loop turns until the object is collected.
   * @returns how many GC rounds it took.
   * @throws Error saying how many GC rounds were tried in how long, if the object is still alive
   *   after `timeout` ms (something still references it).
   */
  async collected(options: CollectedOptions = {}): Promise<number> {
    const result = await this.waitForCollection(options);
    if (!result.collected) {
      const path = options.retainers === false ? [] : await this.explain();
      throw new Error(
        `${this.label} was not collected after ${result.rounds} GC rounds ` +
          `(${result.elapsedMs} ms): something still references it` +
          formatRetainers(path),
      );
    }
    return result.rounds;
  }

  /**
   * What keeps the object alive: the shortest path of strong references from a GC root to it,
   * one reference per line, from a heap snapshot of this thread. Takes a snapshot (hundreds of
   * milliseconds to seconds, depending on the heap), so failure paths call it, not passing ones.
   */
  explain(): Promise<string[]> {
    if (this.#seen()) return Promise.resolve(['(it was collected)']);
    return explainRetention(this.#ref, this.label);
  }

  /**
   * Runs `rounds` GC rounds and reports whether the object survived them all, without throwing.
   * Stops early when it is collected.
   */
  async retained(options: RetainedOptions = {}): Promise<CollectionResult> {
    const rounds = checkCount(options.rounds ?? 10, 'options.rounds', 'Tracker.retained', false);
    const started = Date.now();
    let round = 0;
    while (!this.#seen() && round < rounds) await gcRound(round++);
    return { collected: this.#seen(), rounds: round, elapsedMs: Date.now() - started };
  }

  /** Like {@link collected} but resolves with what it found instead of throwing. */
  async waitForCollection(options: CollectedOptions = {}): Promise<CollectionResult> {
    const timeout = checkCount(
      options.timeout ?? DEFAULT_TIMEOUT,
      'options.timeout',
      'Tracker.collected',
      true,
    );
    const started = Date.now();
    let round = 0;
    while (!this.#seen() && (round < MIN_ROUNDS || Date.now() - started < timeout)) {
      await gcRound(round++);
    }
    return { collected: this.#seen(), rounds: round, elapsedMs: Date.now() - started };
  }
}

/** The retainer lines under a failure message. */
export function formatRetainers(path: string[]): string {
  if (path.length === 0) return '';
  const [first, ...rest] = path;
  return rest.length === 0 && first.startsWith('(')
    ? `\n${first}`
    : `\nretained through:\n  ${path.join('\n  ')}`;
}

/** True for trackers made by any copy of this module (test runners may load several). */
export function isTracker(value: unknown): value is Tracker {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/**
 * Starts watching `target` for collection. The tracker does not keep `target` alive; drop your
 * own references and `await tracker.collected()`.
 *
 * @param label names the object in failure messages (default "the tracked object").
 * @throws TypeError if `target` is not an object or a function.
 */
export function track(target: object, label = 'the tracked object'): Tracker {
  if ((typeof target !== 'object' || target === null) && typeof target !== 'function') {
    throw new TypeError(`track: target must be an object or a function; got ${describe(target)}`);
  }
  if (typeof label !== 'string') {
    throw new TypeError(`track: label must be a string; got ${describe(label)}`);
  }
  return new Tracker(target, label);
}
