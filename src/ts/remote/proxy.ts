/**
 * The local stand-ins for the peer's objects. A proxy holds no state of its own beyond its
 * record: every member read, write, call and construct goes to its session (`ProxyHost`). Sync
 * sessions return results; async sessions return promises, and a member read returns a member
 * reference (`member_reference.ts`) that is awaitable, callable and chainable
 * (`await proxy.a.b.c` is one round trip). Every proxy of a kind shares one handler; its state
 * hangs off its target.
 */
import { TypeError, WeakMap } from './builtins';
import { Proxy } from './platform';
import { RemoteError } from './errors';
import type { ImportRecord } from './import_table';
import { child, type PathRoot } from './member_reference';
import { methodStub, stubbedFunction, type MethodState, type StubOwner } from './method_stub';
import { callableTarget, localMember, objectTarget, REMOTE, refuse, refusingTraps } from './proxy_common';
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

const INFO: unique symbol = Symbol('weakwire.proxy');
type Target = { [INFO]: ProxyInfo };

const infos = new WeakMap<object, ProxyInfo>();

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

const syncTraps: ProxyHandler<Target> = {
  ...refusingTraps,
  get(target, key) {
    const info = target[INFO];
    const local = localMember(key, labelOf(info), info.callable);
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
    const info = target[INFO];
    info.methods?.delete(key);
    info.host.perform(info.record, { op: 'set', path: [key], value });
    return true;
  },
  apply(target, thisArg, args) {
    const info = target[INFO];
    return info.host.perform(info.record, { op: 'call', thisArg, args });
  },
  construct(target, args) {
    const info = target[INFO];
    return info.host.perform(info.record, { op: 'new', args }) as object;
  },
};

const asyncTraps: ProxyHandler<Target> = {
  ...refusingTraps,
  get(target, key) {
    const info = target[INFO];
    const local = localMember(key, labelOf(info), info.callable);
    if (local !== REMOTE) return local;
    // Never throws, even on a closed session: the reference's read or call rejects instead.
    return child(info, undefined, key as string);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    // Sent in order with every later operation; a failure nobody awaits goes to the session's
    // 'error' channel (`await remote.set(...)` gives the outcome to those who want it).
    const info = target[INFO];
    info.host.perform(info.record, { op: 'set', path: [key], value });
    return true;
  },
  apply(target, thisArg, args) {
    const info = target[INFO];
    return info.host.perform(info.record, { op: 'call', thisArg, args });
  },
  construct(target, args) {
    const info = target[INFO];
    return info.host.perform(info.record, { op: 'new', args }) as object;
  },
};

/** Builds the proxy for one imported id. It captures the record, never the other way round. */
export function makeProxy(host: ProxyHost, record: ImportRecord, callable: boolean): object {
  // A function target gives the proxy [[Call]] and [[Construct]]; only callables get one.
  const target = (callable ? callableTarget(function remote() {}) : objectTarget()) as Target;
  const info: ProxyInfo = {
    host,
    record,
    callable,
    methods: undefined,
    children: undefined,
    label: `#${record.id}`,
    keepAlive: undefined as unknown as object,
    perform: (op) => host.perform(record, op),
  };
  target[INFO] = info;
  const proxy = new Proxy(target, host.sync ? syncTraps : asyncTraps);
  (info as { keepAlive: object }).keepAlive = proxy;
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
