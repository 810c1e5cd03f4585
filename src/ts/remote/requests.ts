/**
 * Our requests waiting for their answers: sequence numbers, the bound on how many may wait
 * (`maxPendingCalls`), and timeouts (`callTimeoutMs`, or a per-call value from `withTimeout`).
 *
 * Requests with the session's timeout expire in the order they were sent, so one timer serves
 * all of them (10,000 concurrent calls do not make 10,000 timers); a request with its own
 * timeout gets its own timer.
 */
import { Map, TypeError, clearTimeout, setTimeout } from './builtins';
import { RemoteError } from './errors';
import { MAX_TIMEOUT_MS } from './limits';
import type { RemotePromise } from './remote_promise';

/** What a request was, for error messages: `get "x" of remote object #3`. */
export interface RequestLabel {
  readonly op: string;
  /** The remote object, or 0 for requests to the peer itself (require, getGlobal). */
  readonly target: number;
  /** The member path (or module name); joined only when an error names it. */
  readonly key: string | readonly string[] | undefined;
}

export interface PendingRequest extends RequestLabel {
  readonly seq: number;
  readonly promise: RemotePromise;
  /** Only a keyed call that named the function it expects may be answered `stale`. */
  readonly expectsStale: boolean;
  readonly deadline: number;
  readonly timeoutMs: number;
  /** Set for a request with its own timeout (`withTimeout`); the session's share one timer. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether it takes one of the `maxPendingCalls` places (the handshake's HELLO does not). */
  readonly counted: boolean;
  /**
   * Set once it was answered with a promise of the peer: it still waits (under the same
   * deadline) for that promise to settle, and `abandon` is called if it times out first.
   */
  abandon: (() => void) | undefined;
}

export function describeRequest(label: RequestLabel): string {
  const key = typeof label.key === 'string' || label.key === undefined ? label.key : label.key.join('.');
  const what = key === undefined ? label.op : `${label.op} ${JSON.stringify(key)}`;
  return label.target === 0 ? what : `${what} of remote object #${label.target}`;
}

/** The timeout for requests issued inside `withTimeout(ms, fn)`; undefined outside. */
let scopedTimeout: number | undefined;

/**
 * Runs `fn` and gives every remote request it starts (including member reads it sets up and
 * awaits later) a timeout of `ms` milliseconds instead of the session's `callTimeoutMs`; 0 waits
 * forever. Returns what `fn` returns.
 * @throws TypeError if `ms` is not a non-negative number or `fn` is not a function.
 */
export function withTimeout<T>(ms: number, fn: () => T): T {
  if (typeof ms !== 'number' || !(ms >= 0) || ms > MAX_TIMEOUT_MS) {
    throw new TypeError(`withTimeout: ms must be a number from 0 to ${MAX_TIMEOUT_MS}`);
  }
  if (typeof fn !== 'function') throw new TypeError('withTimeout: fn must be a function');
  const outer = scopedTimeout;
  scopedTimeout = ms;
  try {
    return fn();
  } finally {
    scopedTimeout = outer;
  }
}

/** The timeout a request started now gets under `withTimeout`, if any. */
export function currentTimeoutOverride(): number | undefined {
  return scopedTimeout;
}

export class RequestTracker {
  private nextSeq = 1;
  /** In send order, which is deadline order for the requests with the session's timeout. */
  private readonly pending = new Map<number, PendingRequest>();
  /** Pending requests that take no place under the cap. */
  private uncounted = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly callTimeoutMs: number,
    private readonly maxPending: number,
  ) {}

  sequence(): number {
    return this.nextSeq++;
  }

  /** The timeout a request gets: the `withTimeout` scope's, or the session's. */
  timeoutFor(override: number | undefined): number {
    return override ?? this.callTimeoutMs;
  }

  /** Throws ERR_REMOTE_BUSY when `maxPendingCalls` requests already wait. */
  assertRoom(): void {
    if (this.pending.size - this.uncounted >= this.maxPending) {
      throw new RemoteError(
        'ERR_REMOTE_BUSY',
        `${this.maxPending} remote calls are already waiting for an answer (maxPendingCalls)`,
      );
    }
  }

  /**
   * Starts waiting for the answer to request `seq`. The handshake's HELLO is not one of the
   * application's calls: it takes no place under `maxPendingCalls` (with 1, the first call made
   * right after connect() would otherwise fail).
   */
  open(
    seq: number,
    promise: RemotePromise,
    label: RequestLabel,
    expectsStale: boolean,
    timeoutMs: number,
  ): void {
    const request: PendingRequest = {
      seq,
      promise,
      expectsStale,
      op: label.op,
      target: label.target,
      key: label.key,
      timeoutMs,
      deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Infinity,
      timer: undefined,
      counted: label.op !== 'hello',
      abandon: undefined,
    };
    this.pending.set(seq, request);
    if (!request.counted) this.uncounted++;
    if (timeoutMs <= 0) return;
    if (timeoutMs === this.callTimeoutMs) {
      this.timer ??= this.arm(timeoutMs);
    } else {
      request.timer = setTimeout(() => this.expire(request), timeoutMs);
      request.timer.unref?.();
    }
  }

  /**
   * The request an answer to `seq` is for, still waiting: undefined if none waits for an answer
   * (late, unknown, or already answered with a promise that has not settled).
   */
  answered(seq: number): PendingRequest | undefined {
    const request = this.pending.get(seq);
    return request === undefined || request.abandon !== undefined ? undefined : request;
  }

  /**
   * `request` was answered with the peer's promise: it keeps its place and its deadline until
   * `take` (when the promise settles); if the deadline comes first, `abandon` is called.
   */
  awaitSettle(request: PendingRequest, abandon: () => void): void {
    request.abandon = abandon;
  }

  /** The request `seq` answers, no longer waiting; undefined if none waits (late or unknown). */
  take(seq: number): PendingRequest | undefined {
    const request = this.pending.get(seq);
    if (request === undefined) return undefined;
    this.pending.delete(seq);
    if (!request.counted) this.uncounted--;
    if (request.timer !== undefined) clearTimeout(request.timer);
    return request;
  }

  /** Session over: every waiting request rejects with `error`. */
  failAll(error: RemoteError): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.uncounted = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const request of waiting) {
      if (request.timer !== undefined) clearTimeout(request.timer);
      request.promise.fail(error);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  private arm(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(this.sweep, ms);
    timer.unref?.();
    return timer;
  }

  /**
   * Expires the requests with the session's timeout whose deadline passed (they come first: they
   * were sent first), then waits for the next one. Requests with their own timers are skipped.
   */
  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = Date.now();
    for (const request of this.pending.values()) {
      if (request.timer !== undefined || request.timeoutMs !== this.callTimeoutMs) continue;
      if (request.deadline > now) {
        this.timer = this.arm(Math.max(1, request.deadline - now));
        return;
      }
      this.expire(request);
    }
  };

  private expire(request: PendingRequest): void {
    if (this.take(request.seq) === undefined) return;
    const what = describeRequest(request);
    const message =
      request.abandon === undefined
        ? `No answer to ${what} within ${request.timeoutMs} ms`
        : `The promise answering ${what} did not settle within ${request.timeoutMs} ms`;
    request.abandon?.();
    request.promise.fail(new RemoteError('ERR_REMOTE_TIMEOUT', message));
  }
}
