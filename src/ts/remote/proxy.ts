/**
 * The local stand-ins for remote objects. A proxy holds no state of its own: every member read,
 * write, call and construct goes to its session (`ProxyHost`). Sync sessions return results;
 * async sessions return Promises, and a member read returns a "member reference" that is both
 * awaitable (`await proxy.name`) and callable (`await proxy.method(1)`, one round trip).
 */
import { inspect } from 'node:util';
import { RemoteError } from './errors';
import type { ImportRecord } from './import_table';

export type RemoteOp =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'set'; readonly key: string; readonly value: unknown }
  | { readonly op: 'call'; readonly key?: string; readonly thisArg?: unknown; readonly args: unknown[] }
  | { readonly op: 'new'; readonly key?: string; readonly args: unknown[] };

/** What a proxy needs from its session. */
export interface ProxyHost {
  readonly sync: boolean;
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
  return infos.get(value as object);
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
  const handler = host.sync ? syncHandler(host, record, callable) : asyncHandler(host, record, callable);
  const proxy = new Proxy(target, handler);
  infos.set(proxy, { host, record, callable });
  return proxy;
}

function syncHandler(host: ProxyHost, record: ImportRecord, callable: boolean): ProxyHandler<object> {
  return {
    ...commonTraps(),
    get(_target, key) {
      if (typeof key === 'symbol') return localSymbol(record, callable, key);
      // Never thenable, as in async mode: `await proxy` costs no round trip and cannot run a
      // remote `then`, and it still works on a proxy whose session closed.
      if (key === 'then') return undefined;
      const local = localFunctionMember(callable, key);
      if (local !== undefined) return local;
      return host.perform(record, { op: 'get', key });
    },
    set(_target, key, value) {
      if (typeof key === 'symbol') refuse('symbol keys');
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
      return memberReference(host, record, key, receiver as object);
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

/**
 * `proxy.key` in async mode: awaiting it reads the member, calling it calls the method on the
 * remote object in one round trip, `new` constructs. It keeps the parent proxy alive so that the
 * parent's FREE cannot overtake the request.
 */
function memberReference(host: ProxyHost, record: ImportRecord, key: string, parent: object): object {
  let read: Promise<unknown> | undefined;
  const get = (): Promise<unknown> => (read ??= host.perform(record, { op: 'get', key }) as Promise<unknown>);
  return new Proxy(function member() {}, {
    ...commonTraps(),
    get(_target, k) {
      if (k === 'then') return (ok?: (v: unknown) => unknown, no?: (e: unknown) => unknown) => get().then(ok, no);
      if (k === 'catch') return (no?: (e: unknown) => unknown) => get().catch(no);
      if (k === 'finally') return (fn?: () => void) => get().finally(fn);
      if (k === Symbol.toPrimitive || k === inspect.custom) return () => `[remote member ${key} of #${record.id}]`;
      return undefined;
    },
    set() {
      return refuse('assignment on a member reference');
    },
    apply(_target, _thisArg, args) {
      void parent;
      return host.perform(record, { op: 'call', key, args });
    },
    construct(_target, args) {
      void parent;
      return host.perform(record, { op: 'new', key, args }) as object;
    },
  });
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
