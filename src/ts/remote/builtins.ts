/**
 * The built-ins the remote layer uses, captured when it loads. An application that replaces a
 * global afterwards (`globalThis.Promise = Bluebird`, a polyfill of `Map`, a patched
 * `JSON.parse`) changes nothing here: every module of the remote layer imports these names,
 * which shadow the globals, instead of reading the globals at call time. (Electron's remote did
 * the same for the same reason.) Symbols are made at load, so `Symbol` itself is not needed.
 */
/* eslint-disable @typescript-eslint/no-redeclare */

const g = globalThis;

export const Promise = g.Promise;
export type Promise<T> = globalThis.Promise<T>;
export const Map = g.Map;
export type Map<K, V> = globalThis.Map<K, V>;
export const Set = g.Set;
export type Set<T> = globalThis.Set<T>;
export const WeakMap = g.WeakMap;
export type WeakMap<K extends object, V> = globalThis.WeakMap<K, V>;
export const WeakRef = g.WeakRef;
export type WeakRef<T extends object> = globalThis.WeakRef<T>;
export const Proxy = g.Proxy;
export const Error = g.Error;
export type Error = globalThis.Error;
export const TypeError = g.TypeError;
export type TypeError = globalThis.TypeError;
export const RangeError = g.RangeError;
export const ArrayBuffer = g.ArrayBuffer;
export type ArrayBuffer = globalThis.ArrayBuffer;
export const Uint8Array = g.Uint8Array;
export const Int32Array = g.Int32Array;
export type Int32Array = globalThis.Int32Array;
export const TextDecoder = g.TextDecoder;

export const Reflect = g.Reflect;
export const JSON = g.JSON;
export const Object = g.Object;
export type Object = globalThis.Object;
export const Array = g.Array;
export type Array<T> = globalThis.Array<T>;
export const Number = g.Number;
export type Number = globalThis.Number;

export const setTimeout = g.setTimeout;
export const clearTimeout = g.clearTimeout;
export const setImmediate = g.setImmediate;
export const clearImmediate = g.clearImmediate;
export const queueMicrotask = g.queueMicrotask;
