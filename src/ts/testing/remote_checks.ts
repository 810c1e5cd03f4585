/**
 * The test side of cross-thread leak checks: `leakTarget(worker)` or `leakTarget(child)` runs
 * `expectNoLeak` and trackers there, on functions the worker or child serves with
 * `serveLeakChecks`, and brings the verdict back. Reads like the in-process API:
 * `await expectNoLeak(target.fn('handle'))`, `await expect(target.track('open')).toBeCollected()`.
 * @packageDocumentation
 */
import { TAG, VERSION, isCheckMessage, type CheckRequest, type CheckResponse, type PlainOptions } from './check_protocol';
import { LeakError, type LeakReport } from './leak_report';
import { BRAND, formatRetainers, type CollectedOptions, type CollectionResult, type RetainedOptions } from './track';

/** What `leakTarget` talks to: a `worker_threads` Worker or a `child_process` ChildProcess with IPC. */
export interface LeakCheckEndpoint {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'exit', listener: (code: number | null) => void): unknown;
  postMessage?(message: unknown): void;
  send?(message: unknown): unknown;
}

type RequestBody = CheckRequest extends infer R ? (R extends unknown ? Omit<R, typeof TAG | 'id'> : never) : never;

const REMOTE_FUNCTION = Symbol.for('weakwire.remoteFunction');

/** A function served by a worker or child: pass it to `expectNoLeak` in place of a local one. */
export interface RemoteFunction {
  readonly [REMOTE_FUNCTION]: true;
  readonly target: LeakTarget;
  readonly name: string;
}

export function isRemoteFunction(value: unknown): value is RemoteFunction {
  return typeof value === 'object' && value !== null && (value as { [REMOTE_FUNCTION]?: unknown })[REMOTE_FUNCTION] === true;
}

/** Options that can cross the channel: plain values only. */
function plain(options: object | undefined, what: string): PlainOptions {
  const out: PlainOptions = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
      throw new TypeError(`${what}: options.${key} must be a number, string or boolean to reach the other thread; got ${typeof value}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * A tracker of an object in the worker or child: the object is made and watched there, the GC
 * rounds run there. The jest and Vitest matchers accept it like a local tracker.
 */
export class RemoteTracker {
  readonly label: string;
  readonly #target: LeakTarget;
  readonly #id: Promise<number>;

  /** @internal use {@link LeakTarget.track} */
  constructor(target: LeakTarget, name: string, label: string) {
    this.label = label;
    this.#target = target;
    this.#id = target.request({ op: 'track', name, label }) as Promise<number>;
    // A failed track surfaces at the first use, not as an unhandled rejection.
    this.#id.catch(() => undefined);
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Like `Tracker.waitForCollection`, with the GC rounds run in the worker or child. */
  async waitForCollection(options: CollectedOptions = {}): Promise<CollectionResult> {
    const tracker = await this.#id;
    return (await this.#target.request({ op: 'wait', tracker, options: plain(options, 'Tracker.collected') })) as CollectionResult;
  }

  /** Like `Tracker.retained`. */
  async retained(options: RetainedOptions = {}): Promise<CollectionResult> {
    const tracker = await this.#id;
    return (await this.#target.request({ op: 'retained', tracker, options: plain(options, 'Tracker.retained') })) as CollectionResult;
  }

  /** Like `Tracker.explain`: the retainer path, from a heap snapshot of the worker or child. */
  async explain(): Promise<string[]> {
    const tracker = await this.#id;
    return (await this.#target.request({ op: 'explain', tracker })) as string[];
  }

  /** Like `Tracker.collected`: throws with the retainer path when the object is still alive. */
  async collected(options: CollectedOptions = {}): Promise<number> {
    const result = await this.waitForCollection(options);
    if (!result.collected) {
      const path = options.retainers === false ? [] : await this.explain();
      throw new Error(
        `${this.label} was not collected after ${result.rounds} GC rounds (${result.elapsedMs} ms): ` +
          `something still references it${formatRetainers(path)}`,
      );
    }
    return result.rounds;
  }
}

/** A worker thread or child process that serves leak checks: see {@link leakTarget}. */
export class LeakTarget {
  readonly #endpoint: LeakCheckEndpoint;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  #nextId = 1;
  #closed: Error | undefined;
  readonly #onMessage = (message: unknown): void => {
    if (!isCheckMessage(message) || !('ok' in message)) return;
    const response = message as CheckResponse;
    const pending = this.#pending.get(response.id);
    if (pending === undefined) return;
    this.#pending.delete(response.id);
    if (response.ok) {
      pending.resolve(response.value);
    } else if (response.error.report !== undefined) {
      pending.reject(new LeakError(response.error.report));
    } else {
      const error = new Error(response.error.message);
      error.name = response.error.name;
      pending.reject(error);
    }
  };
  readonly #onExit = (code: number | null): void => {
    this.close(new Error(`leakTarget: the worker or child exited (code ${String(code)}) with checks pending`));
  };

  /** @internal use {@link leakTarget} */
  constructor(endpoint: LeakCheckEndpoint) {
    this.#endpoint = endpoint;
    endpoint.on('message', this.#onMessage);
    endpoint.on('exit', this.#onExit);
  }

  /** @internal */
  request(body: RequestBody): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    const message = { [TAG]: VERSION, id, ...body };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        if (typeof this.#endpoint.postMessage === 'function') this.#endpoint.postMessage(message);
        else this.#endpoint.send!(message);
      } catch (error) {
        this.#pending.delete(id);
        reject(error);
      }
    });
  }

  /** The served function `name`, for `expectNoLeak(target.fn(name), options)`. */
  fn(name: string): RemoteFunction {
    if (typeof name !== 'string') throw new TypeError(`LeakTarget.fn: name must be a string; got ${typeof name}`);
    return Object.freeze({ [REMOTE_FUNCTION]: true as const, target: this, name });
  }

  /**
   * Runs `expectNoLeak` there on the served function `name` (same options, plain values only).
   * @returns the report measured there.
   * @throws LeakError with the report from there, naming the thread or process.
   */
  async expectNoLeak(name: string, options: object = {}): Promise<LeakReport> {
    return (await this.request({ op: 'noLeak', name, options: plain(options, 'expectNoLeak') })) as LeakReport;
  }

  /**
   * Calls the served function `name` there once and tracks the object it returns, there. Use it
   * with the matchers (`await expect(target.track('open')).toBeCollected()`) or its own methods.
   */
  track(name: string, label = `the object ${name}() returned`): RemoteTracker {
    if (typeof name !== 'string') throw new TypeError(`LeakTarget.track: name must be a string; got ${typeof name}`);
    return new RemoteTracker(this, name, label);
  }

  /** Stops listening; pending checks reject. The worker or child itself is left running. */
  close(reason: Error = new Error('leakTarget: closed')): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    this.#endpoint.off('message', this.#onMessage);
    this.#endpoint.off('exit', this.#onExit);
    for (const pending of this.#pending.values()) pending.reject(reason);
    this.#pending.clear();
  }
}

/**
 * Leak checks that run in a worker thread or a child process: the code under test runs there
 * (the functions it passed to `serveLeakChecks`), and the heap measured and the report come from
 * there. `endpoint` is a `Worker`, or a `ChildProcess` with an IPC channel (`fork`).
 */
export function leakTarget(endpoint: LeakCheckEndpoint): LeakTarget {
  const e = endpoint as Partial<LeakCheckEndpoint> | null;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.on !== 'function' ||
    (typeof e.postMessage !== 'function' && typeof e.send !== 'function')
  ) {
    throw new TypeError('leakTarget: endpoint must be a Worker or a ChildProcess with an IPC channel');
  }
  return new LeakTarget(endpoint);
}
