/**
 * The local stand-ins for remote objects. A proxy holds no state of its own: every member read,
 * write, call and construct goes to its session (`ProxyHost`). Sync sessions return results;
 * async sessions return Promises, and a member read returns a "member reference" that is both
 * awaitable (`await proxy.name`) and callable (`await proxy.method(1)`, one round trip).
 *
 * This module owns the sync method-stub cache: nothing outside it reads or changes the cache.
 */
import { inspect } from 'node:util';
import { notAFunctionError, RemoteError } from './errors';
import { STALE } from './protocol';
import type { ImportRecord } from './import_table';
import { currentTimeoutOverride } from './requests';

export type RemoteOp =
  | {
      readonly op: 'get';
      readonly key: string;
      /** A member reference's read: the timeout in force when the reference was made. */
      readonly timeoutMs?: number;
    }
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
  /** Sync mode: throws the right error when the session is closed or the proxy released. */
  assertUsable(record: ImportRecord): void;
  /**
   * Sync sessions return the result (or throw); async sessions return a Promise of it and never
   * throw. A keyed call with `expect` yields STALE when the member is no longer that function
   * (it was not called).
   */
  perform(record: ImportRecord, op: RemoteOp): unknown;
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

/**
 * Tells the proxy of `info` that the client assigned member `key`: a method stub of it would
 * stand for the old value.
 */
export function forgetMethod(info: ProxyInfo, key: string): void {
  info.methods?.delete(key);
}

function label(record: ImportRecord, callable: boolean): string {
  return `[remote ${callable ? 'function' : 'object'} #${record.id}]`;
}

/** Returned by `localMember` for members that go to the peer. */
const REMOTE: unique symbol = Symbol('remote member');

/** Read through any of our proxies, it gives the proxy's label (for `util.inspect`). */
const LABEL: unique symbol = Symbol('weakwire.label');

/**
 * `util.inspect` (and so `console.log`) looks at a proxy's target, never through its traps: the
 * targets inherit a custom inspection that asks the proxy itself (`this`) for its label.
 */
function inspectLabel(this: { [LABEL]?: unknown }): unknown {
  return this[LABEL];
}
const objectTarget = Object.create(Object.prototype, { [inspect.custom]: { value: inspectLabel } }) as object;
const functionTarget = Object.create(Function.prototype, { [inspect.custom]: { value: inspectLabel } }) as object;

/** A fresh callable target that inspects as its proxy's label. */
function callableTarget<F extends (...args: any[]) => unknown>(fn: F): F {
  Object.setPrototypeOf(fn, functionTarget);
  return fn;
}

/**
 * Members every proxy, member reference and method stub answers itself, never asking the peer:
 * the ones ordinary code reads without meaning to reach the remote object. `JSON.stringify`,
 * `String(x)`, template literals and `util.inspect` then print `text` instead of sending a
 * request whose failure nobody would await, and `await proxy` never runs a remote `then`.
 */
function localMember(key: string | symbol, text: string, callable: boolean): unknown {
  switch (key) {
    case 'then':
      return undefined;
    case LABEL:
      return text;
    case 'toJSON':
    case 'toString':
    case Symbol.toPrimitive:
    case inspect.custom:
      return () => text;
    case 'valueOf':
      return Object.prototype.valueOf;
    case Symbol.toStringTag:
      return 'RemoteObject';
  }
  if (typeof key === 'symbol') return undefined;
  // `call`, `apply` and `bind` of a callable are the builtins: they call the proxy itself (so
  // `fn.apply(self, args)` works on callbacks); reading them remotely would be refused anyway.
  if (callable && (key === 'call' || key === 'apply' || key === 'bind')) return Function.prototype[key];
  return REMOTE;
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
  const target: object = callable ? callableTarget(function remote() {}) : (Object.create(objectTarget) as object);
  const info: ProxyInfo = { host, record, callable, methods: undefined };
  let proxy: object | undefined;
  const self = (): object => proxy as object;
  const handler = host.sync ? syncHandler(info, self) : asyncHandler(host, record, callable);
  const made = new Proxy(target, handler);
  proxy = made;
  infos.set(made, info);
  return made;
}

function syncHandler(info: ProxyInfo, self: () => object): ProxyHandler<object> {
  const { host, record, callable } = info;
  const text = label(record, callable);
  return {
    ...commonTraps(),
    get(_target, key) {
      const local = localMember(key, text, callable);
      if (local !== REMOTE) return local;
      const name = key as string;
      const known = info.methods?.get(name);
      if (known !== undefined && !known.fnRecord.released) {
        host.assertUsable(record);
        return known.stub;
      }
      const value = host.perform(record, { op: 'get', key: name });
      const fn = host.cacheMethods ? callableInfoOf(host, value) : undefined;
      if (fn === undefined) {
        info.methods?.delete(name);
        return value;
      }
      const state = methodStub({ owner: info, key: name, parent: self(), fn: value as object, fnRecord: fn.record });
      (info.methods ??= new Map()).set(name, state);
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
  const text = label(record, callable);
  return {
    ...commonTraps(),
    get(_target, key, receiver) {
      const local = localMember(key, text, callable);
      if (local !== REMOTE) return local;
      // Never throws, even on a closed session: the reference's read or call rejects instead.
      return memberReference({
        host,
        record,
        key: key as string,
        parent: receiver as object,
        timeoutMs: currentTimeoutOverride(),
        read: undefined,
      });
    },
    set(_target, key, value) {
      if (typeof key === 'symbol') refuse('symbol keys');
      // Sent in order with every later operation; a failure nobody awaits goes to the session's
      // 'error' channel (`await remote.set(...)` gives the outcome to those who want it).
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
  /** The `withTimeout` in force when the reference was made: its read happens later. */
  readonly timeoutMs: number | undefined;
  read: Promise<unknown> | undefined;
}

function readMember(state: MemberState): Promise<unknown> {
  state.read ??= state.host.perform(state.record, { op: 'get', key: state.key, timeoutMs: state.timeoutMs }) as Promise<unknown>;
  return state.read;
}

function memberText(state: MemberState): string {
  return `[remote member ${state.key} of #${state.record.id}]`;
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
    const local = localMember(k, memberText(state), true);
    return local === REMOTE ? undefined : local;
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
  // A plain closure: one per member access, so no per-reference prototype change (it would cost
  // more than the rest of a call). util.inspect shows it as a function; String() has its label.
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
    const local = localMember(key, `[remote method ${state.key} of #${state.owner.record.id}]`, true);
    if (local !== REMOTE) return local;
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
 * every receipt this proxy stood for. Idempotent. Using the proxy afterwards throws (sync) or
 * rejects (async).
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
