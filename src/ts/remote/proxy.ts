/**
 * The local stand-ins for remote objects. A proxy holds no state of its own: every member read,
 * write, call and construct goes to its session (`ProxyHost`). Sync sessions return results;
 * async sessions return Promises, and a member read returns a "member reference" that is both
 * awaitable (`await proxy.name`) and callable (`await proxy.method(1)`, one round trip).
 */
import { inspect } from 'node:util';
import { NOT_A_FUNCTION, RemoteError } from './errors';
import type { ImportRecord } from './import_table';

export type RemoteOp =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'set'; readonly key: string; readonly value: unknown }
  | { readonly op: 'call'; readonly key?: string; readonly thisArg?: unknown; readonly args: unknown[] }
  | { readonly op: 'new'; readonly key?: string; readonly args: unknown[] };

/** What a proxy needs from its session. */
export interface ProxyHost {
  readonly sync: boolean;
  /** Sync mode: members read as functions become method stubs (one-round-trip calls). */
  readonly cacheMethods: boolean;
  /** Throws the right error when the session is closed or the proxy released. */
  assertUsable(record: ImportRecord): void;
  /** Sync sessions return the result; async sessions return a Promise of it. */
  perform(record: ImportRecord, op: RemoteOp): unknown;
  /** Async member writes (`remote.set`). */
  release(record: ImportRecord): boolean;
}

export interface ProxyInfo {
  readonly host: ProxyHost;
  readonly record: ImportRecord;
  readonly callable: boolean;
}

const infos = new WeakMap<object, ProxyInfo>();

/** The session behind a remote-object proxy, or undefined for anything else. */
export function proxyInfo(value: unknown): ProxyInfo | undefined {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return undefined;
  return infos.get(resolveMethodStub(value) as object);
}

function label(record: ImportRecord, callable: boolean): string {
  return `[remote ${callable ? 'function' : 'object'} #${record.id}]`;
}

function localSymbol(record: ImportRecord, callable: boolean, key: symbol): unknown {
  if (key === Symbol.toPrimitive || key === inspect.custom) return () => label(record, callable);
  if (key === Symbol.toStringTag) return 'RemoteObject';
  return undefined;
}

/**
 * `call`, `apply` and `bind` of a callable proxy are answered locally with the builtins: they call
 * the proxy itself (so `fn.apply(self, args)` works on callbacks), and reading them remotely would
 * be refused anyway (they are inherited from Function.prototype).
 */
function localFunctionMember(callable: boolean, key: string): unknown {
  if (!callable) return undefined;
  if (key === 'call') return Function.prototype.call;
  if (key === 'apply') return Function.prototype.apply;
  if (key === 'bind') return Function.prototype.bind;
  return undefined;
}

function refuse(what: string): never {
  throw new TypeError(`Remote objects do not support ${what}`);
}

function commonTraps(): ProxyHandler<object> {
  return {
    defineProperty: () => refuse('defineProperty'),
    deleteProperty: () => refuse('delete'),
    setPrototypeOf: () => refuse('setPrototypeOf'),
    preventExtensions: () => refuse('preventExtensions'),
  };
}

/** Builds the proxy for one imported id. It captures the record, never the other way round. */
export function makeProxy(host: ProxyHost, record: ImportRecord, callable: boolean): object {
  // A function target gives the proxy [[Call]] and [[Construct]]; only callables get one.
  const target = callable ? function remote() {} : {};
  let proxy: object | undefined;
  const self = (): object => proxy as object;
  const handler = host.sync ? syncHandler(host, record, callable, self) : asyncHandler(host, record, callable);
  proxy = new Proxy(target, handler);
  infos.set(proxy, { host, record, callable });
  return proxy;
}

function syncHandler(
  host: ProxyHost,
  record: ImportRecord,
  callable: boolean,
  self: () => object,
): ProxyHandler<object> {
  // Members this proxy has seen to be functions, as method stubs (see methodStub).
  let methods: Map<string, object> | undefined;
  return {
    ...commonTraps(),
    get(_target, key) {
      if (typeof key === 'symbol') return localSymbol(record, callable, key);
      // Never thenable, as in async mode: `await proxy` costs no round trip and cannot run a
      // remote `then`, and it still works on a proxy whose session closed.
      if (key === 'then') return undefined;
      const local = localFunctionMember(callable, key);
      if (local !== undefined) return local;
      const known = methods?.get(key);
      if (known !== undefined) {
        host.assertUsable(record);
        return known;
      }
      const value = host.perform(record, { op: 'get', key });
      if (!host.cacheMethods || !isCallableProxyOf(host, value)) return value;
      methods ??= new Map();
      const stub = methodStub({ host, record, key, parent: self(), methods });
      methods.set(key, stub);
      return stub;
    },
    set(_target, key, value) {
      if (typeof key === 'symbol') refuse('symbol keys');
      methods?.delete(key);
      host.perform(record, { op: 'set', key, value });
      return true;
    },
    apply(_target, thisArg, args) {
      return host.perform(record, { op: 'call', thisArg, args });
    },
    construct(_target, args) {
      return host.perform(record, { op: 'new', args }) as object;
    },
  };
}

function asyncHandler(host: ProxyHost, record: ImportRecord, callable: boolean): ProxyHandler<object> {
  return {
    ...commonTraps(),
    get(_target, key, receiver) {
      if (typeof key === 'symbol') return localSymbol(record, callable, key);
      // Not thenable, so `await proxy` and a Promise resolved with a proxy give the proxy itself.
      if (key === 'then') return undefined;
      const local = localFunctionMember(callable, key);
      if (local !== undefined) return local;
      host.assertUsable(record);
      return memberReference({ host, record, key, parent: receiver as object, read: undefined });
    },
    set(_target, key) {
      throw new TypeError(
        `Cannot assign ${String(key)} on an async remote object: use await remote.set(proxy, key, value)`,
      );
    },
    apply(_target, thisArg, args) {
      return host.perform(record, { op: 'call', thisArg, args });
    },
    construct(_target, args) {
      return host.perform(record, { op: 'new', args }) as object;
    },
  };
}

function isCallableProxyOf(host: ProxyHost, value: unknown): boolean {
  const info = typeof value === 'function' ? infos.get(value) : undefined;
  return info !== undefined && info.host === host && info.callable;
}

/**
 * Member references and method stubs are made per member access, so they share one handler each
 * and keep their state in the target: a function that returns it (the target is never called
 * directly, the `apply` trap stands in front of it). That makes one a closure and a Proxy, nothing
 * more.
 */
type StateTarget<S> = () => S;

function stateOf<S>(target: StateTarget<S>): S {
  return target();
}

interface MemberState {
  readonly host: ProxyHost;
  readonly record: ImportRecord;
  readonly key: string;
  /** Keeps the parent proxy alive, so that its FREE cannot overtake the request. */
  readonly parent: object;
  read: Promise<unknown> | undefined;
}

function readMember(state: MemberState): Promise<unknown> {
  return (state.read ??= state.host.perform(state.record, { op: 'get', key: state.key }) as Promise<unknown>);
}

const memberTraps: ProxyHandler<StateTarget<MemberState>> = {
  ...commonTraps(),
  get(target, k) {
    const state = stateOf(target);
    if (k === 'then') {
      return (ok?: (v: unknown) => unknown, no?: (e: unknown) => unknown) => readMember(state).then(ok, no);
    }
    if (k === 'catch') return (no?: (e: unknown) => unknown) => readMember(state).catch(no);
    if (k === 'finally') return (fn?: () => void) => readMember(state).finally(fn);
    if (k === Symbol.toPrimitive || k === inspect.custom) {
      return () => `[remote member ${state.key} of #${state.record.id}]`;
    }
    return undefined;
  },
  set() {
    return refuse('assignment on a member reference');
  },
  apply(target, _thisArg, args) {
    const state = stateOf(target);
    return state.host.perform(state.record, { op: 'call', key: state.key, args });
  },
  construct(target, args) {
    const state = stateOf(target);
    return state.host.perform(state.record, { op: 'new', key: state.key, args }) as object;
  },
};

/**
 * `proxy.key` in async mode: awaiting it reads the member, calling it calls the method on the
 * remote object in one round trip, `new` constructs.
 */
function memberReference(state: MemberState): object {
  return new Proxy<StateTarget<MemberState>>(function member() {
    return state;
  }, memberTraps);
}

interface MethodState {
  readonly host: ProxyHost;
  readonly record: ImportRecord;
  readonly key: string;
  /** The proxy the method was read from: calls name it, so it must stay alive. */
  readonly parent: object;
  /** The parent's stub cache, to forget this stub when the member stops being a function. */
  readonly methods: Map<string, object>;
}

const methodStates = new WeakMap<object, MethodState>();

/** The member's current value, read from the remote object (one round trip). */
function currentMember(state: MethodState): unknown {
  const value = state.host.perform(state.record, { op: 'get', key: state.key });
  if (!isCallableProxyOf(state.host, value)) state.methods.delete(state.key);
  return value;
}

function memberOf(state: MethodState, key: string | symbol): object {
  const value = currentMember(state);
  if (value === null || value === undefined) {
    throw new TypeError(`Cannot read ${String(key)} of remote member ${JSON.stringify(state.key)}: it is ${value}`);
  }
  return Object(value) as object;
}

const methodTraps: ProxyHandler<StateTarget<MethodState>> = {
  ...commonTraps(),
  get(target, key) {
    const state = stateOf(target);
    if (typeof key === 'symbol') {
      if (key === Symbol.toPrimitive || key === inspect.custom) {
        return () => `[remote method ${state.key} of #${state.record.id}]`;
      }
      return key === Symbol.toStringTag ? 'RemoteObject' : undefined;
    }
    if (key === 'then') return undefined;
    const local = localFunctionMember(true, key);
    if (local !== undefined) return local;
    return Reflect.get(memberOf(state, key), key);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    return Reflect.set(memberOf(stateOf(target), key), key, value);
  },
  apply(target, thisArg, args) {
    const state = stateOf(target);
    // Any other `this` (`fn.call(other)`, a detached `fn()`) calls the current function with it.
    if (thisArg !== state.parent) return Reflect.apply(memberOf(state, 'call') as Function, thisArg, args);
    try {
      return state.host.perform(state.record, { op: 'call', key: state.key, args });
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === NOT_A_FUNCTION) state.methods.delete(state.key);
      throw error;
    }
  },
  construct(target, args) {
    const state = stateOf(target);
    return state.host.perform(state.record, { op: 'new', key: state.key, args }) as object;
  },
};

/**
 * A member of a sync proxy that was a function when read. `proxy.key(args)` then calls the
 * remote object's current `key` in one round trip (a `call` with the key), instead of reading
 * the function first. Everything else done with the stub (its own members, another `this`,
 * passing it to the peer) works on the member read afresh.
 */
function methodStub(state: MethodState): object {
  const stub = new Proxy<StateTarget<MethodState>>(function method() {
    return state;
  }, methodTraps);
  methodStates.set(stub, state);
  return stub;
}

/**
 * The value a method stub stands for, read now (one round trip); `value` itself if it is not a
 * method stub.
 */
export function resolveMethodStub(value: unknown): unknown {
  const state = typeof value === 'function' ? methodStates.get(value) : undefined;
  return state === undefined ? value : currentMember(state);
}

/**
 * Releases a remote-object proxy now instead of waiting for GC: the peer's count for it drops by
 * every receipt this proxy stood for. Idempotent. Using the proxy afterwards throws.
 * @returns true if this call released it, false if it was already released or its session closed.
 * @throws TypeError if `proxy` is not a remote-object proxy.
 */
export function release(proxy: object): boolean {
  const info = proxyInfo(proxy);
  if (info === undefined) {
    throw new TypeError('release: proxy must be a remote-object proxy');
  }
  return info.host.release(info.record);
}

export function releasedError(record: ImportRecord): RemoteError {
  return new RemoteError('ERR_REMOTE_RELEASED', `Remote object #${record.id} was released and can no longer be used`);
}
