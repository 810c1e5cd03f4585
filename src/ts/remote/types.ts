/**
 * The types of remote objects in async mode. `Remote<T>` is what a proxy of a `T` on the peer is
 * here: every member is awaitable and chainable, every call returns a pipelined result (a promise
 * whose members chain before it resolves), and `new` gives a pipelined result too.
 *
 * What arrives when something is awaited follows the copy rules: primitives, arrays, Date,
 * RegExp, Map, Set, binary data and plain data objects are copied; functions and objects with
 * methods (class instances, modules, services) arrive as remote proxies. Types cannot see
 * whether an object is a class instance, so an object type with methods is typed as remote and
 * one with only data as copied: a class instance without methods is typed as a copy but arrives
 * as a proxy (await its members, or type it `Remote<...>` yourself).
 *
 * Assigning a member (`proxy.x = v`) works at run time but cannot be typed on a mapped type; use
 * `await client.set(proxy, 'x', v)` for a typed write with its outcome.
 */
import { ArrayBuffer, Map, Promise, Set } from './builtins';

type Primitive = string | number | boolean | bigint | symbol | undefined | null;
type AnyFunction = (...args: any[]) => any;
type AnyConstructor = abstract new (...args: any[]) => any;

/** Whether values of type T travel by reference: functions, and objects with methods. */
type ByReference<T> = T extends AnyFunction | AnyConstructor
  ? true
  : true extends { [K in keyof T]-?: T[K] extends AnyFunction ? true : false }[keyof T]
    ? true
    : false;

/** What a value of type `T` on the peer is here once awaited: a copy, or a remote proxy. */
export type Received<T> = T extends Primitive
  ? T
  : T extends Date | RegExp | ArrayBuffer | ArrayBufferView
    ? T
    : T extends PromiseLike<infer U>
      ? Received<U>
      : T extends ReadonlyMap<infer K, infer V>
        ? Map<Received<K>, Received<V>>
        : T extends ReadonlySet<infer V>
          ? Set<Received<V>>
          : T extends readonly (infer E)[]
            ? Received<E>[]
            : ByReference<T> extends true
              ? Remote<T>
              : { [K in keyof T]: Received<T[K]> };

/** A pipelined result of type `R`: a promise of it, whose members and calls chain before it resolves. */
export type RemoteResult<R> = Promise<Received<Awaited<R>>> & RemoteShape<Awaited<R>>;

/** A member path of type `T` (`proxy.a.b`): awaitable, callable, and chainable. */
export type RemoteMember<T> = PromiseLike<Received<T>> & RemoteShape<T>;

/** The calls, constructions and members of a remote `T`. */
type RemoteShape<T> = (T extends (...args: infer A) => infer R ? (...args: A) => RemoteResult<R> : unknown) &
  (T extends new (...args: infer A) => infer I ? new (...args: A) => RemoteResult<I> : unknown) &
  // `as K` keeps the mapping an object type for arrays too (a plain mapped type over an array is
  // an array, whose `length` would be a number instead of a remote member).
  (T extends Primitive ? unknown : { readonly [K in keyof T as K]: RemoteMember<T[K]> });

/**
 * A proxy (async mode) of a remote object of type `T`. It is not itself awaitable (`await proxy`
 * gives the proxy); its members are.
 */
export type Remote<T> = RemoteShape<T>;
