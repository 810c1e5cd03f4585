/**
 * The local stand-ins for the peer's objects. A proxy holds no state of its own beyond its
 * record: every member read, write, call and construct goes to its session (`ProxyHost`). Sync
 * sessions return results; async sessions return promises, and a member read returns a member
 * reference (`member_reference.ts`) that is awaitable, callable and chainable
 * (`await proxy.a.b.c` is one round trip). Every proxy of a kind shares one handler; its state
 * hangs off its target.
 */
import { Map, Object, Reflect, TypeError, WeakMap } from './builtins';
import { Proxy } from './platform';
import { RemoteError } from './errors';
import type { ImportRecord } from './import_table';
import { child, type PathRoot } from './member_reference';
import { methodStub, stubbedFunction, type MethodState, type StubOwner } from './method_stub';
import { callableTarget, localMember, objectTargetPrototype, REMOTE, refuse, refusingTraps } from './proxy_common';
import type { RemoteOp } from './remote_op';

/** What a proxy needs from its session. */
export interface ProxyHost {
  readonly sync: boolean;
  /** Sync mode: members read as functions become method stubs (one-round-trip calls). */
  readonly cacheMethods: boolean;
  /** Sync mode: throws the right error when the session is closed or the proxy released. */
  assertUsable(record: ImportRecord): void;
  /**
   * Sync sessions return the result (or throw); async sessions return a promise of it (a
   * pipelined result for calls) and never throw. A keyed call with `expect` yields STALE when the
   * member is no longer that function (it was not called).
   */
  perform(record: ImportRecord, op: RemoteOp): unknown;
  release(record: ImportRecord): boolean;
}

/** A proxy's state: its session and record, and the root of the member paths read from it. */
export interface ProxyInfo extends PathRoot, StubOwner {
  readonly host: ProxyHost;
  readonly record: ImportRecord;
  readonly callable: boolean;
}

/**
 * The state of one proxy, and for an object proxy also its target (a second object per proxy
 * would cost as much again). Everything that can be computed from the fields lives on the
 * prototype: a proxy's heap is these fields, its proxy and (callables only) its function target.
 * The introspection traps below keep the fields out of reach of code holding the proxy.
 */
class ProxyState implements ProxyInfo {
  methods: Map<string, MethodState> | undefined = undefined;
  children: Map<string, object> | undefined = undefined;
  /** The proxy itself (set as soon as it exists). */
  keepAlive: object = NO_PROXY;

  constructor(
    readonly host: ProxyHost,
    readonly record: ImportRecord,
  ) {}

  get callable(): boolean {
    return typeof this.keepAlive === 'function';
  }

  /** Made when a label is printed, not per proxy. */
  get label(): string {
    return `#${this.record.id}`;
  }

  perform(op: RemoteOp): unknown {
    return this.host.perform(this.record, op);
  }
}

const NO_PROXY: object = {};

// An object proxy's target is its ProxyState: `util.inspect` reads the target directly, so the
// state inherits the inspection that asks the proxy for its label.
Object.setPrototypeOf(ProxyState.prototype, objectTargetPrototype);

const INFO: unique symbol = Symbol('weakwire.proxy');
/** A callable proxy's target: a function holding the state under a key no trap reveals. */
type CallableTarget = { [INFO]: ProxyState };
type Target = ProxyState | CallableTarget;

function stateOf(target: Target): ProxyState {
  return typeof target === 'function' ? (target as CallableTarget)[INFO] : (target as ProxyState);
}

const infos = new WeakMap<object, ProxyState>();

/**
 * The session behind a remote-object proxy, or undefined for anything else. A method stub
 * answers for the function it was read as.
 */
export function proxyInfo(value: unknown): ProxyInfo | undefined {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return undefined;
  const info = infos.get(value as object);
  if (info !== undefined) return info;
  const fn = stubbedFunction(value);
  return fn === undefined ? undefined : infos.get(fn);
}

/**
 * Tells the proxy of `info` that the client assigned member `key`: a method stub of it would
 * stand for the old value.
 */
export function forgetMethod(info: ProxyInfo, key: string): void {
  info.methods?.delete(key);
}

function labelOf(info: ProxyInfo): string {
  return `[remote ${info.callable ? 'function' : 'object'} #${info.record.id}]`;
}

/**
 * What code holding a proxy can see of its target: an object proxy shows an empty object that
 * inherits the label inspection, a callable one its function without the state. Neither shows
 * the state, so no user code can read a proxy's session or record.
 */
const introspectionTraps: ProxyHandler<Target> = {
  has(target, key) {
    return typeof target === 'function' ? key !== INFO && Reflect.has(target, key) : Reflect.has(objectTargetPrototype, key);
  },
  ownKeys(target) {
    if (typeof target !== 'function') return [];
    const keys = Reflect.ownKeys(target);
    const shown: (string | symbol)[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] !== INFO) shown[shown.length] = keys[i];
    return shown;
  },
  getOwnPropertyDescriptor(target, key) {
    return typeof target === 'function' && key !== INFO ? Reflect.getOwnPropertyDescriptor(target, key) : undefined;
  },
  getPrototypeOf(target) {
    return typeof target === 'function' ? Reflect.getPrototypeOf(target) : objectTargetPrototype;
  },
};

const syncTraps: ProxyHandler<Target> = {
  ...refusingTraps,
  ...introspectionTraps,
  get(target, key) {
    const info = stateOf(target);
    const local = localMember(key, info, info.callable, labelOf);
    if (local !== REMOTE) return local;
    const name = key as string;
    const known: MethodState | undefined = info.methods?.get(name);
    if (known !== undefined && !known.fnRecord.released) {
      info.host.assertUsable(info.record);
      return known.stub;
    }
    const value = info.host.perform(info.record, { op: 'get', path: [name] });
    const fn = info.host.cacheMethods ? callableInfoOf(info.host, value) : undefined;
    if (fn === undefined) {
      info.methods?.delete(name);
      return value;
    }
    return methodStub(info, name, info.keepAlive, value as object, fn.record);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    const info = stateOf(target);
    info.methods?.delete(key);
    info.host.perform(info.record, { op: 'set', path: [key], value });
    return true;
  },
  apply(target, thisArg, args) {
    const info = stateOf(target);
    return info.host.perform(info.record, { op: 'call', thisArg, args });
  },
  construct(target, args) {
    const info = stateOf(target);
    return info.host.perform(info.record, { op: 'new', args }) as object;
  },
};

const asyncTraps: ProxyHandler<Target> = {
  ...refusingTraps,
  ...introspectionTraps,
  get(target, key) {
    const info = stateOf(target);
    const local = localMember(key, info, info.callable, labelOf);
    if (local !== REMOTE) return local;
    // Never throws, even on a closed session: the reference's read or call rejects instead.
    return child(info, undefined, key as string);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    // Sent in order with every later operation; a failure nobody awaits goes to the session's
    // 'error' channel (`await remote.set(...)` gives the outcome to those who want it).
    const info = stateOf(target);
    info.host.perform(info.record, { op: 'set', path: [key], value });
    return true;
  },
  apply(target, thisArg, args) {
    const info = stateOf(target);
    return info.host.perform(info.record, { op: 'call', thisArg, args });
  },
  construct(target, args) {
    const info = stateOf(target);
    return info.host.perform(info.record, { op: 'new', args }) as object;
  },
};

/** Builds the proxy for one imported id. It captures the record, never the other way round. */
export function makeProxy(host: ProxyHost, record: ImportRecord, callable: boolean): object {
  const info = new ProxyState(host, record);
  let target: Target = info;
  if (callable) {
    // A function target gives the proxy [[Call]] and [[Construct]]; only callables get one.
    target = callableTarget(function remote() {}) as unknown as CallableTarget;
    target[INFO] = info;
  }
  const proxy = new Proxy(target, host.sync ? syncTraps : asyncTraps);
  info.keepAlive = proxy;
  infos.set(proxy, info);
  return proxy;
}

/** The proxy info of `value` if it is a callable proxy of `host`'s session. */
function callableInfoOf(host: ProxyHost, value: unknown): ProxyInfo | undefined {
  const info = typeof value === 'function' ? infos.get(value) : undefined;
  return info !== undefined && info.host === host && info.callable ? info : undefined;
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
