import { binding, type NativeIDWeakMap } from './binding';

/** Keys an IDWeakMap accepts: safe integers (`Number.isSafeInteger`) or strings. */
export type IDWeakMapKey = number | string;

function receiverError(method: string, receiver: unknown): TypeError {
  const what = receiver === null ? 'null' : typeof receiver;
  return new TypeError(`IDWeakMap.prototype.${method} called on ${what}; expected an IDWeakMap`);
}

/**
 * A map from ids (safe integers or strings) to objects it holds weakly: an entry disappears once
 * its value is garbage collected. `has`, `get`, `size` and iteration only ever show live values,
 * even before the value's finalizer ran. Iteration follows insertion order; it walks a snapshot
 * of the keys taken when it starts and skips entries deleted or collected meanwhile.
 */
export class IDWeakMap<K extends IDWeakMapKey = number, V extends object = object>
  implements Iterable<[K, V]>
{
  readonly #native: NativeIDWeakMap;

  /** @param entries optional initial entries, like `new Map(entries)`. */
  constructor(entries?: Iterable<readonly [K, V]> | null) {
    this.#native = new binding.IDWeakMap();
    if (entries !== undefined && entries !== null) {
      for (const [key, value] of entries) this.#native.set(key, value);
    }
  }

  static #of<K extends IDWeakMapKey, V extends object>(
    receiver: IDWeakMap<K, V>,
    method: string,
  ): NativeIDWeakMap {
    if (typeof receiver !== 'object' || receiver === null || !(#native in receiver)) {
      throw receiverError(method, receiver);
    }
    return receiver.#native;
  }

  /** Stores `value` under `key`, replacing (and releasing) any previous value. */
  set(key: K, value: V): this {
    IDWeakMap.#of(this, 'set').set(key, value);
    return this;
  }

  /** The live value under `key`, or undefined. */
  get(key: K): V | undefined {
    return IDWeakMap.#of(this, 'get').get(key) as V | undefined;
  }

  /** Whether `key` holds a live value. */
  has(key: K): boolean {
    return IDWeakMap.#of(this, 'has').has(key);
  }

  /** Removes `key`; true if it held a live value. */
  delete(key: K): boolean {
    return IDWeakMap.#of(this, 'delete').delete(key);
  }

  /** Electron's name for `delete`. */
  remove(key: K): boolean {
    return IDWeakMap.#of(this, 'remove').delete(key);
  }

  /** Removes every entry and releases their weak references. */
  clear(): void {
    IDWeakMap.#of(this, 'clear').clear();
  }

  /** Number of live entries. Checks every entry, so it costs O(n). */
  get size(): number {
    return IDWeakMap.#of(this, 'size').size();
  }

  /** Live keys, in insertion order. */
  *keys(): IterableIterator<K> {
    for (const [key] of this.#walk('keys')) yield key;
  }

  /** Live values, in insertion order. */
  *values(): IterableIterator<V> {
    for (const [, value] of this.#walk('values')) yield value;
  }

  /** Live `[key, value]` pairs, in insertion order. */
  *entries(): IterableIterator<[K, V]> {
    yield* this.#walk('entries');
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.#walk('[Symbol.iterator]');
  }

  /** Calls `callback(value, key, map)` for each live entry. */
  forEach(callback: (value: V, key: K, map: this) => void, thisArg?: unknown): void {
    const native = IDWeakMap.#of(this, 'forEach');
    if (typeof callback !== 'function') {
      throw new TypeError(`IDWeakMap.prototype.forEach: callback must be a function`);
    }
    for (const [key, value] of this.#walkNative(native)) callback.call(thisArg, value, key, this);
  }

  get [Symbol.toStringTag](): string {
    return 'IDWeakMap';
  }

  #walk(method: string): IterableIterator<[K, V]> {
    return this.#walkNative(IDWeakMap.#of(this, method));
  }

  *#walkNative(native: NativeIDWeakMap): IterableIterator<[K, V]> {
    const keys = native.keys() as K[];
    for (const key of keys) {
      const value = native.get(key) as V | undefined;
      if (value !== undefined) yield [key, value];
    }
  }
}

/** Electron's factory: same as `new IDWeakMap<K, V>()`. */
export function createIDWeakMap<K extends IDWeakMapKey = number, V extends object = object>(): IDWeakMap<K, V> {
  return new IDWeakMap<K, V>();
}
