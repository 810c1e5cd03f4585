/**
 * Pipelined results: what an async call (or `new`, `require`, `getGlobal`) returns. It is a
 * promise of the result (`instanceof Promise`), and its members can be used before it resolves:
 *
 *     const file = fs.open(path);        // a request is queued, not yet sent
 *     const text = await file.read();    // one round trip for both
 *
 * The request asked the peer to keep its result for requests that name it (`on: seq`); those go
 * out right behind it, so the chain costs one round trip. A result the peer did not keep (a
 * request that failed to send) is waited for, and the use goes to the resolved object instead.
 *
 * Counting: the kept result is held by the peer until we finish it, which we do once the answer
 * (and, for a promise, its settlement) arrived — after every request that named it, on an ordered
 * channel. The answer itself is an ordinary receipt: a result only ever used through pipelines is
 * a proxy nobody holds, collected and freed like any other.
 */
import { Promise, Proxy, Reflect, WeakMap } from './builtins';
import { child, type PathRoot } from './member_reference';
import { LABEL, localMember, REMOTE, refuse, refusingTraps } from './proxy_common';
import type { RemoteOp } from './remote_op';
import { pending, type Unobserved } from './remote_promise';

const nativeThen = Promise.prototype.then;

/** What a pipelined result needs from its session. */
export interface PipelineHost {
  readonly report: Unobserved;
  /** Whether the peer keeps answer `seq` for pipelining. */
  keepsAnswer(seq: number): boolean;
  /** Sends `op` on the peer's kept answer `seq`. */
  performOnAnswer(seq: number, op: RemoteOp): unknown;
  /** Performs `op` on a resolved result: on the peer if it is a proxy, here if it is data. */
  performOnValue(value: unknown, op: RemoteOp): unknown;
  /** We no longer pipeline on the peer's answer `seq`. */
  finishAnswer(seq: number): void;
}

interface PipelineState extends PathRoot {
  readonly host: PipelineHost;
  /** The request whose answer this is; undefined for a result chained here after the fact. */
  readonly seq: number | undefined;
  readonly promise: Promise<unknown>;
  settled: boolean;
  ok: boolean;
  value: unknown;
}

/** A pipelined result's target is the request's promise itself: `instanceof Promise` holds. */
type Target = Promise<unknown>;

/** By proxy (for the codec) and by target (for the traps). */
const states = new WeakMap<object, PipelineState>();

/** The state of a pipelined result, or undefined for anything else. */
export function pipelineStateOf(
  value: unknown,
): { readonly host: PipelineHost; readonly seq: number | undefined; readonly settled: boolean; readonly ok: boolean; readonly value: unknown; readonly promise: Promise<unknown> } | undefined {
  return typeof value === 'object' && value !== null ? states.get(value) : undefined;
}

function performOn(state: PipelineState, op: RemoteOp): unknown {
  const { host } = state;
  if (state.settled && state.ok) return host.performOnValue(state.value, op);
  if (state.seq !== undefined && !state.settled && host.keepsAnswer(state.seq)) {
    return host.performOnAnswer(state.seq, op);
  }
  // Left unmarked (or failed): wait for the result, then go to it.
  const result = pending(host.report);
  nativeThen.call(
    state.promise,
    (value: unknown) => {
      try {
        result.settle(host.performOnValue(value, op));
      } catch (error) {
        result.fail(error);
      }
    },
    (error: unknown) => result.fail(error),
  );
  return op.op === 'call' || op.op === 'new' ? makePipeline(host, undefined, result, `result of ${state.label}`) : result;
}

const pipelineTraps: ProxyHandler<Target> = {
  ...refusingTraps,
  get(target, key) {
    const state = states.get(target) as PipelineState;
    switch (key) {
      case 'then':
        return (ok?: (v: unknown) => unknown, no?: (e: unknown) => unknown) => state.promise.then(ok, no);
      case 'catch':
        return (no?: (e: unknown) => unknown) => state.promise.catch(no);
      case 'finally':
        return (fn?: () => void) => state.promise.finally(fn);
      case 'constructor':
        // What `Promise.resolve`, `instanceof` and species lookups read: the promise's own.
        return Promise;
    }
    const local = localMember(key, `[remote ${state.label}]`, false);
    if (local !== REMOTE) return local;
    return child(state, undefined, key as string);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    performOn(states.get(target) as PipelineState, { op: 'set', path: [key], value });
    return true;
  },
};

/**
 * The pipelined result of request `seq` (undefined: a result chained after the fact), settled by
 * `promise`. `label` names it: "the result of ...".
 */
export function makePipeline(host: PipelineHost, seq: number | undefined, promise: Promise<unknown>, label: string): object {
  const state: PipelineState = {
    host,
    seq,
    promise,
    settled: false,
    ok: false,
    value: undefined,
    label,
    keepAlive: undefined as unknown as object,
    children: undefined,
    perform: (op) => performOn(state, op),
  };
  // The request's promise is the target: the result is a promise (`instanceof Promise`, and
  // `typeof` 'object', so test runners treat it as one) whose members chain.
  const pipeline = new Proxy<Target>(promise, pipelineTraps);
  (state as { keepAlive: object }).keepAlive = pipeline;
  states.set(pipeline, state);
  states.set(promise, state);
  // Our own handlers, not a subscription of the application's (the promise stays "unobserved").
  const done = (ok: boolean, value: unknown): void => {
    state.settled = true;
    state.ok = ok;
    state.value = value;
    if (seq !== undefined) host.finishAnswer(seq);
  };
  nativeThen.call(
    promise,
    (value: unknown) => done(true, value),
    (error: unknown) => done(false, error),
  );
  return pipeline;
}

export { LABEL };

/**
 * `op` on a resolved result that is data here (a copy), as JavaScript would run it on the copy:
 * a read or write of the path, a call of the function at it (a remote function inside a copy
 * calls the peer), each answered as a promise like every async operation.
 */
export function performLocally(value: unknown, op: RemoteOp, report: Unobserved): unknown {
  const result = pending(report);
  try {
    const path = op.path ?? [];
    let holder: unknown = value;
    for (let i = 0; i < path.length - 1; i++) holder = (holder as Record<string, unknown>)[path[i]];
    const last = path[path.length - 1];
    switch (op.op) {
      case 'get':
        result.settle(path.length === 0 ? value : (holder as Record<string, unknown>)[last]);
        break;
      case 'set':
        (holder as Record<string, unknown>)[last] = op.value;
        result.settle(undefined);
        break;
      case 'call': {
        const fn = path.length === 0 ? value : (holder as Record<string, unknown>)[last];
        result.settle(Reflect.apply(fn as (...a: unknown[]) => unknown, path.length === 0 ? op.thisArg : holder, op.args));
        break;
      }
      case 'new': {
        const fn = path.length === 0 ? value : (holder as Record<string, unknown>)[last];
        result.settle(Reflect.construct(fn as new (...a: unknown[]) => object, op.args));
        break;
      }
    }
  } catch (error) {
    result.fail(error);
  }
  return result;
}
