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
import { Promise, Reflect, WeakMap } from './builtins';
import { Proxy, types } from './platform';
import { child, type PathRoot } from './member_reference';
import { LABEL, localMember, REMOTE, refuse, refusingTraps } from './proxy_common';
import type { RemoteOp } from './remote_op';
import { pending, type RemotePromise, type SettleListener, type Unobserved } from './remote_promise';

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

/** A pipelined result's state; the proxy's target is the request's promise. */
class Pipeline implements PathRoot, SettleListener {
  /** Whether the result is known here (the answer, and a promise in it, settled). */
  settled = false;
  ok = false;
  value: unknown = undefined;
  children: Map<string, object> | undefined = undefined;
  keepAlive: object;

  constructor(
    readonly host: PipelineHost,
    /** The request whose answer this is; undefined for a result chained here after the fact. */
    readonly seq: number | undefined,
    readonly promise: Promise<unknown>,
    /** What made it, for its label: the operation and where it ran. */
    private readonly made: {
      readonly op: RemoteOp | { readonly op: string; readonly name: string };
      /** A remote object (its record), an earlier request's answer (its seq), or a description. */
      readonly on: { readonly id: number } | number | string;
    },
  ) {
    this.keepAlive = promise;
  }

  /** Names the result in labels; made only when printed. */
  get label(): string {
    const { op } = this.made;
    const made = this.made.on;
    const on = typeof made === 'number' ? `the result of request ${made}` : typeof made === 'string' ? made : `#${made.id}`;
    if ('name' in op) return `result of ${op.op}(${JSON.stringify(op.name)})`;
    const at = op.path === undefined ? on : `${on}.${op.path.join('.')}`;
    return `result of ${op.op === 'new' ? 'new ' : ''}${at}(...)`;
  }

  onSettled(ok: boolean, value: unknown): void {
    this.settled = true;
    this.ok = ok;
    this.value = value;
    // Nothing names the answer any more: requests go to the result itself from now on.
    if (this.seq !== undefined) this.host.finishAnswer(this.seq);
  }

  perform(op: RemoteOp): unknown {
    const { host } = this;
    if (this.settled && this.ok) return host.performOnValue(this.value, op);
    if (this.seq !== undefined && !this.settled && host.keepsAnswer(this.seq)) {
      return host.performOnAnswer(this.seq, op);
    }
    // Not kept (or failed): wait for the result, then go to it.
    const result = pending(host.report);
    nativeThen.call(
      this.promise,
      (value: unknown) => {
        try {
          result.settle(host.performOnValue(value, op));
        } catch (error) {
          result.fail(error);
        }
      },
      (error: unknown) => result.fail(error),
    );
    return op.op === 'call' || op.op === 'new' ? makePipeline(host, undefined, result, { op, on: `the ${this.label}` }) : result;
  }

}

/** A pipelined result's target is the request's promise itself: `instanceof Promise` holds. */
type Target = RemotePromise;

/**
 * Read through a pipelined result, it gives the result's state. (No WeakMap from results to
 * states: one entry per call would cost the garbage collector more than the rest of the call.)
 */
const STATE: unique symbol = Symbol('weakwire.pipeline');

/** The state of a pipelined result, or undefined for anything else. */
export function pipelineStateOf(
  value: unknown,
): { readonly host: PipelineHost; readonly seq: number | undefined; readonly settled: boolean; readonly promise: Promise<unknown> } | undefined {
  if (!types.isProxy(value)) return undefined;
  let state: unknown;
  try {
    // Another library's proxy sees an unknown symbol read; one that throws is simply not ours.
    state = (value as { [STATE]?: unknown })[STATE];
  } catch {
    return undefined;
  }
  return state instanceof Pipeline ? state : undefined;
}

const resultLabel = (state: Pipeline): string => `[remote ${state.label}]`;

const pipelineTraps: ProxyHandler<Target> = {
  ...refusingTraps,
  get(target, key) {
    const state = target.pipeline as Pipeline;
    switch (key) {
      case STATE:
        return state;
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
    const local = localMember(key, state, false, resultLabel);
    if (local !== REMOTE) return local;
    return child(state, undefined, key as string);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    (target.pipeline as Pipeline).perform({ op: 'set', path: [key], value });
    return true;
  },
};

/**
 * The pipelined result of request `seq` (undefined: a result chained after the fact), settled by
 * `promise` (a RemotePromise, which tells the result when it settles). `where` names it.
 */
export function makePipeline(
  host: PipelineHost,
  seq: number | undefined,
  promise: RemotePromise,
  made: ConstructorParameters<typeof Pipeline>[3],
): object {
  const state = new Pipeline(host, seq, promise, made);
  // The request's promise is the target: the result is a promise (`instanceof Promise`, and
  // `typeof` 'object', so test runners treat it as one) whose members chain.
  const pipeline = new Proxy<Target>(promise, pipelineTraps);
  state.keepAlive = pipeline;
  promise.pipeline = state;
  promise.listen(state);
  return pipeline;
}

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
