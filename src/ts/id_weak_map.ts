import { binding, type NativeIDWeakMap } from './binding';
import {
  checkForEachCallback,
  checkMapKey as checkKey,
  checkMapValue,
  mapReceiverError as receiverError,
} from './validation';

/** Keys an IDWeakMap accepts: safe integers (`Number.isSafeInteger`) or strings. */
export type IDWeakMapKey = number | string;

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
    const native = IDWeakMap.#of(this, 'set');
    // As in get: the native side checks the key and the value and stores nothing when it refuses
    // either; only then are they checked here again, for the TypeError of the caller's realm.
    try {
      native.set(key, value);
    } catch (error) {
      checkKey('set', key);
      checkMapValue(value);
      throw error;
    }
    return this;
  }

  /** The live value under `key`, or undefined. */
  get(key: K): V | undefined {
    const native = IDWeakMap.#of(this, 'get');
    // get and has run in tight loops: the native side checks the key, and only when it refuses
    // one is the key checked here again, for the TypeError of the caller's realm.
    try {
      return native.get(key) as V | undefined;
    } catch (error) {
      checkKey('get', key);
      throw error;
    }
  }

  /** Whether `key` holds a live value. */
  has(key: K): boolean {
    const native = IDWeakMap.#of(this, 'has');
    try {
      return native.has(key);
    } catch (error) {
      checkKey('has', key);
      throw error;
    }
  }

  /** Removes `key`; true if it held a live value. */
  delete(key: K): boolean {
    const native = IDWeakMap.#of(this, 'delete');
    checkKey('delete', key);
    return native.delete(key);
  }

  /** Electron's name for `delete`. */
  remove(key: K): boolean {
    const native = IDWeakMap.#of(this, 'remove');
    checkKey('remove', key);
    return native.delete(key);
  }

  /** Removes every entry and releases their weak references. */
  clear(): void {
    IDWeakMap.#of(this, 'clear').clear();
  }

  /**
   * Number of live entries, never counting a collected value. O(1) as long as no garbage
   * collection happened since the last call; the first call after one checks every entry, O(n).
   */
  get size(): number {
    return IDWeakMap.#of(this, 'size').size();
  }

  /** Live keys, in insertion order. */
  keys(): IterableIterator<K> {
    return project(walk<K, V>(IDWeakMap.#of(this, 'keys')), ([key]) => key);
  }

  /** Live values, in insertion order. */
  values(): IterableIterator<V> {
    return project(walk<K, V>(IDWeakMap.#of(this, 'values')), ([, value]) => value);
  }

  /** Live `[key, value]` pairs, in insertion order. */
  entries(): IterableIterator<[K, V]> {
    return walk<K, V>(IDWeakMap.#of(this, 'entries'));
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return walk<K, V>(IDWeakMap.#of(this, '[Symbol.iterator]'));
  }

  /** Calls `callback(value, key, map)` for each live entry. */
  forEach(callback: (value: V, key: K, map: this) => void, thisArg?: unknown): void {
    const native = IDWeakMap.#of(this, 'forEach');
    checkForEachCallback(callback);
    for (const [key, value] of walk<K, V>(native)) callback.call(thisArg, value, key, this);
  }

  get [Symbol.toStringTag](): string {
    return 'IDWeakMap';
  }

}

// Walks a snapshot of the keys, looking each value up as it goes: entries deleted or collected
// meanwhile are skipped, and values are not held alive by the iterator.
function* walk<K, V>(native: NativeIDWeakMap): IterableIterator<[K, V]> {
  const keys = native.keys() as K[];
  for (const key of keys) {
    const value = native.get(key as never) as V | undefined;
    if (value !== undefined) yield [key, value];
  }
}

function* project<T, R>(source: Iterable<T>, pick: (item: T) => R): IterableIterator<R> {
  for (const item of source) yield pick(item);
}

/** Electron's factory: same as `new IDWeakMap<K, V>()`. */
export function createIDWeakMap<K extends IDWeakMapKey = number, V extends object = object>(): IDWeakMap<K, V> {
  return new IDWeakMap<K, V>();
}
