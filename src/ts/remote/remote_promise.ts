/**
 * The promises weakwire hands to the application.
 *
 * They are ordinary promises (`instanceof Promise`, awaitable, `util.types.isPromise`) that also
 * know whether the application ever subscribed to them: `then`, `catch`, `finally`, `await`,
 * `Promise.all` all go through `then`. A rejection nobody subscribed to is not left to become an
 * unhandled rejection (which ends a Node.js process): it goes to the session's `'error'` channel.
 *
 * One object per request: the promise carries its own settle functions, so a call allocates no
 * closures for them.
 */
import { Promise, setTimeout } from './builtins';
import { setImmediate } from './platform';

// Captured at load: an application that replaces the global Promise changes nothing here.
const NativePromise = Promise;
const nativeThen = NativePromise.prototype.then;
const schedule: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

type Executor<T> = (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void;

// The settle functions of the promise being constructed, handed from the executor to the fields.
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((reason?: unknown) => void) | undefined;
const capture: Executor<never> = (resolve, reject) => {
  capturedResolve = resolve;
  capturedReject = reject;
};

/** Whether `value` is a thenable, whose rejection a promise resolved with it adopts. */
export function isThenable(value: unknown): boolean {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Receives rejections that nobody subscribed to. */
export type Unobserved = (error: unknown) => void;

/** Told once when a promise settles for good (after adopting a thenable it was resolved with). */
export interface SettleListener {
  onSettled(ok: boolean, value: unknown): void;
}

export class RemotePromise<T = unknown> extends NativePromise<T> {
  // Derived promises (`p.then(...)`) are plain: only what weakwire returns is tracked.
  static override get [Symbol.species](): PromiseConstructor {
    return NativePromise;
  }

  #observed = false;
  #watched = false;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((reason?: unknown) => void) | undefined;
  #unobserved: Unobserved | undefined;
  #listener: SettleListener | undefined;
  /** The pipelined result standing on this promise (see pipeline.ts), if any. */
  pipeline: object | undefined = undefined;

  /** weakwire makes these with no executor; an executor (a subclass-aware caller) works too. */
  constructor(executor?: Executor<T>) {
    super((executor ?? capture) as Executor<T>);
    if (executor === undefined) {
      this.#resolve = capturedResolve as (value: T) => void;
      this.#reject = capturedReject;
      capturedResolve = undefined;
      capturedReject = undefined;
    }
  }

  /** Whether anything subscribed to this promise. */
  get observed(): boolean {
    return this.#observed;
  }

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#observed = true;
    return super.then(onFulfilled, onRejected);
  }

  /** Where a rejection nobody subscribed to goes. */
  reportTo(unobserved: Unobserved): this {
    this.#unobserved = unobserved;
    return this;
  }

  /** Who is told when this promise settles for good (a pipelined result); without closures. */
  listen(listener: SettleListener): void {
    this.#listener = listener;
  }

  /** Resolves; resolving with a thenable (the peer's promise) that later rejects counts as a rejection. */
  settle(value: unknown): void {
    if (isThenable(value)) {
      this.watch();
      const listener = this.#listener;
      if (listener !== undefined) {
        nativeThen.call(
          value,
          (settled: unknown) => listener.onSettled(true, settled),
          (error: unknown) => listener.onSettled(false, error),
        );
      }
    } else {
      this.#listener?.onSettled(true, value);
    }
    this.#resolve?.(value as T);
  }

  /** Rejects; if nobody subscribed by the next macrotask, the rejection is reported. */
  fail(error: unknown): void {
    this.watch();
    this.#listener?.onSettled(false, error);
    this.#reject?.(error);
  }

  /**
   * Our own handler, added only when the promise may reject, so the common path costs nothing;
   * a subscriber that comes in the same turn (an `await` one microtask later) still counts.
   */
  private watch(): void {
    if (this.#watched) return;
    this.#watched = true;
    const unobserved = this.#unobserved;
    nativeThen.call(this, undefined, (error: unknown) => {
      if (unobserved === undefined) return;
      schedule(() => {
        if (!this.#observed) unobserved(error);
      });
    });
  }
}

/** A pending RemotePromise whose unobserved rejection goes to `unobserved` (none: not reported). */
export function pending(unobserved?: Unobserved): RemotePromise {
  const promise = new RemotePromise();
  return unobserved === undefined ? promise : promise.reportTo(unobserved);
}

/** An already rejected RemotePromise (a call on a closed session, a released proxy, ...). */
export function rejected(error: unknown, unobserved: Unobserved): RemotePromise {
  const promise = pending(unobserved);
  promise.fail(error);
  return promise;
}
