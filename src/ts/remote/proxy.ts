/**
 * The local stand-ins for remote objects. A proxy holds no state of its own: every member read,
 * write, call and construct goes to its session (`ProxyHost`). Sync sessions return results;
 * async sessions return Promises, and a member read returns a "member reference" that is both
 * awaitable (`await proxy.name`) and callable (`await proxy.method(1)`, one round trip).
 */
import { inspect } from 'node:util';
import { notAFunctionError, RemoteError } from './errors';
import { STALE } from './protocol';
import type { ImportRecord } from './import_table';

export type RemoteOp =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'set'; readonly key: string; readonly value: unknown }
  | {
      readonly op: 'call';
      readonly key?: string;
      readonly thisArg?: unknown;
      readonly args: unknown[];
      /** With `key`: the export id the member is expected to be (sync method stubs). */
      readonly expect?: number;
    }
  | { readonly op: 'new'; readonly key?: string; readonly args: unknown[]; readonly expect?: number };

/** What a proxy needs from its session. */
export interface ProxyHost {
  readonly sync: boolean;
  /** Sync mode: members read as functions become method stubs (one-round-trip calls). */
  readonly cacheMethods: boolean;
  /** Throws the right error when the session is closed or the proxy released. */
  assertUsable(record: ImportRecord): void;
  /**
   * Sync sessions return the result; async sessions return a Promise of it. A keyed call with
   * `expect` returns STALE when the member is no longer that function (it was not called).
   */
  perform(record: ImportRecord, op: RemoteOp): unknown;
  /** Async member writes (`remote.set`). */
  release(record: ImportRecord): boolean;
}

export interface ProxyInfo {
  readonly host: ProxyHost;
  readonly record: ImportRecord;
  readonly callable: boolean;
  /** Sync mode: members this proxy has seen to be functions, with their method stubs. */
  methods: Map<string, MethodState> | undefined;
}

const infos = new WeakMap<object, ProxyInfo>();

/**
 * The session behind a remote-object proxy, or undefined for anything else. A method stub
 * answers for the function it was read as.
 */
export function proxyInfo(value: unknown): ProxyInfo | undefined {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return undefined;
  const info = infos.get(value as object);
  if (info !== undefined) return info;
  const stub = methodStates.get(value as object);
  return stub === undefined ? undefined : infos.get(stub.fn);
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
  const info: ProxyInfo = { host, record, callable, methods: undefined };
  let proxy: object | undefined;
  const self = (): object => proxy as object;
  const handler = host.sync ? syncHandler(info, self) : asyncHandler(host, record, callable);
  proxy = new Proxy(target, handler);
  infos.set(proxy, info);
  return proxy;
}

function syncHandler(info: ProxyInfo, self: () => object): ProxyHandler<object> {
  const { host, record, callable } = info;
  return {
    ...commonTraps(),
    get(_target, key) {
      if (typeof key === 'symbol') return localSymbol(record, callable, key);
      // Never thenable, as in async mode: `await proxy` costs no round trip and cannot run a
      // remote `then`, and it still works on a proxy whose session closed.
      if (key === 'then') return undefined;
      const local = localFunctionMember(callable, key);
      if (local !== undefined) return local;
      const known = info.methods?.get(key);
      if (known !== undefined && !known.fnRecord.released) {
        host.assertUsable(record);
        return known.stub;
      }
      const value = host.perform(record, { op: 'get', key });
      const fn = host.cacheMethods ? callableInfoOf(host, value) : undefined;
      if (fn === undefined) {
        info.methods?.delete(key);
        return value;
      }
      const state = methodStub({ owner: info, key, parent: self(), fn: value as object, fnRecord: fn.record });
      (info.methods ??= new Map()).set(key, state);
      return state.stub;
    },
    set(_target, key, value) {
      if (typeof key === 'symbol') refuse('symbol keys');
      info.methods?.delete(key);
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

/** The proxy info of `value` if it is a callable proxy of `host`'s session. */
function callableInfoOf(host: ProxyHost, value: unknown): ProxyInfo | undefined {
  const info = typeof value === 'function' ? infos.get(value) : undefined;
  return info !== undefined && info.host === host && info.callable ? info : undefined;
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
  /** The proxy the method was read from, and its session and stub cache. */
  readonly owner: ProxyInfo;
  readonly key: string;
  /** That proxy itself: method calls name its id, so it must stay alive while the stub does. */
  readonly parent: object;
  /** The function proxy the member was read as, and its record. */
  readonly fn: object;
  readonly fnRecord: ImportRecord;
  /** The stub itself (set once it is made). */
  stub: object;
}

const methodStates = new WeakMap<object, MethodState>();

/** Drops the stub of `state` from its proxy's cache (if it is still the cached one). */
function forgetStub(state: MethodState): void {
  if (state.owner.methods?.get(state.key) === state) state.owner.methods.delete(state.key);
}

/**
 * `proxy.key(args)` / `new proxy.key(args)`: one round trip that names the function the stub was
 * read as (`expect`). The peer calls it only if the member still is that function; otherwise it
 * answers STALE, and this does what JavaScript does: read the member, then call it.
 */
function callMember(state: MethodState, op: 'call' | 'new', args: unknown[]): unknown {
  const { host, record } = state.owner;
  if (!state.fnRecord.released) {
    const result = host.perform(record, { op, key: state.key, args, expect: state.fnRecord.id });
    if (result !== STALE) return result;
  }
  forgetStub(state);
  const current = host.perform(record, { op: 'get', key: state.key });
  if (typeof current !== 'function') throw notAFunctionError(state.key);
  if (op === 'new') return Reflect.construct(current as new (...a: unknown[]) => object, args);
  return Reflect.apply(current as (...a: unknown[]) => unknown, state.parent, args);
}

const methodTraps: ProxyHandler<StateTarget<MethodState>> = {
  ...commonTraps(),
  get(target, key) {
    const state = stateOf(target);
    if (typeof key === 'symbol') {
      if (key === Symbol.toPrimitive || key === inspect.custom) {
        return () => `[remote method ${state.key} of #${state.owner.record.id}]`;
      }
      return key === Symbol.toStringTag ? 'RemoteObject' : undefined;
    }
    if (key === 'then') return undefined;
    const local = localFunctionMember(true, key);
    if (local !== undefined) return local;
    return Reflect.get(state.fn, key);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    return Reflect.set(stateOf(target).fn, key, value);
  },
  apply(target, thisArg, args) {
    const state = stateOf(target);
    // Any other `this` (`fn.call(other)`, a detached `fn()`): the function as read, with that this.
    if (thisArg !== state.parent) return Reflect.apply(state.fn as (...a: unknown[]) => unknown, thisArg, args);
    return callMember(state, 'call', args);
  },
  construct(target, args) {
    return callMember(stateOf(target), 'new', args) as object;
  },
};

/**
 * A member of a sync proxy that was a function when read. It stands for that function (its own
 * members, another `this`, passing it to the peer, `release`), and `proxy.key(args)` calls it in
 * one round trip (a `call` with the key) instead of reading the member first, for as long as the
 * member still is that function.
 */
function methodStub(fields: Omit<MethodState, 'stub'>): MethodState {
  const state = fields as MethodState;
  state.stub = new Proxy<StateTarget<MethodState>>(function method() {
    return state;
  }, methodTraps);
  methodStates.set(state.stub, state);
  return state;
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
