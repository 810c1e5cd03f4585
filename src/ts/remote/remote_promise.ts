/**
 * The promises weakwire hands to the application.
 *
 * They are ordinary promises (`instanceof Promise`, awaitable, `util.types.isPromise`) that also
 * know whether the application ever subscribed to them: `then`, `catch`, `finally`, `await`,
 * `Promise.all` all go through `then`. A rejection nobody subscribed to is not left to become an
 * unhandled rejection (which ends a Node.js process): it goes to the session's `'error'` channel.
 */

// Captured at load: an application that replaces the global Promise changes nothing here.
const NativePromise = Promise;
const nativeThen = NativePromise.prototype.then;
const schedule: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

export class RemotePromise<T> extends NativePromise<T> {
  // Derived promises (`p.then(...)`) are plain: only what weakwire returns is tracked.
  static override get [Symbol.species](): PromiseConstructor {
    return NativePromise;
  }

  #observed = false;

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
}

/** A RemotePromise with its settle functions, for answers that arrive later. */
export interface Settler {
  readonly promise: RemotePromise<unknown>;
  resolve(value: unknown): void;
  /** Rejects; if nobody subscribed by the next macrotask, `unobserved(error)` is called. */
  reject(error: unknown): void;
}

/** Whether `value` is a thenable, whose rejection a promise resolved with it adopts. */
function isThenable(value: unknown): boolean {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `unobserved` receives rejections the application never subscribed to. */
export function settler(unobserved: (error: unknown) => void): Settler {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new RemotePromise<unknown>((ok, no) => {
    resolve = ok;
    reject = no;
  });
  let watched = false;
  // Our own handler, added only when the promise may reject: the rejection is never "unhandled",
  // and a subscriber that comes in the same turn (an `await` one microtask later) still counts.
  const watch = (): void => {
    if (watched) return;
    watched = true;
    nativeThen.call(promise, undefined, (error: unknown) => {
      schedule(() => {
        if (!promise.observed) unobserved(error);
      });
    });
  };
  return {
    promise,
    resolve(value: unknown): void {
      // A promise of the peer (an answer that is a promise) may reject later, and this one with
      // it, without passing through reject() below.
      if (isThenable(value)) watch();
      resolve(value);
    },
    reject(error: unknown): void {
      watch();
      reject(error);
    },
  };
}

/** An already rejected RemotePromise (a call on a closed session, a released proxy, ...). */
export function rejected(error: unknown, unobserved: (error: unknown) => void): RemotePromise<never> {
  const s = settler(unobserved);
  s.reject(error);
  return s.promise as RemotePromise<never>;
}
