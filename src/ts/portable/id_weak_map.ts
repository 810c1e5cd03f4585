import {
  checkForEachCallback,
  checkMapKey,
  checkMapValue,
  mapReceiverError,
} from '../validation';
import { realmState, type PortableCounters, type RealmState } from './realm_state';

/** Keys an IDWeakMap accepts: safe integers (`Number.isSafeInteger`) or strings. */
export type IDWeakMapKey = number | string;

/**
 * One entry. It is also the entry's registry token and held value: overwrite, delete, clear and
 * pruning unregister it, so a late report of an old value's death never arrives; and the registry
 * callback checks the key still maps to this very entry before removing anything.
 */
interface Entry<K, V extends object> {
  readonly key: K;
  readonly ref: WeakRef<V>;
}

/** A map's share of the realm's `mapEntries`; `dead` once the map itself was collected. */
interface MapCount {
  entries: number;
  dead: boolean;
}

// A map that is collected takes its registry with it, so its entries' deaths are never reported:
// the realm-wide registry below subtracts what the map still counted. Its callback holds the
// counters, never the state: a test runner may take the state's own properties away when a test
// file ends (Jest's globals clean-up), and maps die after that.
function mapsRegistry(state: RealmState): FinalizationRegistry<MapCount> {
  const counters = state.counters;
  return (state.maps ??= new FinalizationRegistry<MapCount>((count) => {
    counters.mapEntries -= count.entries;
    count.entries = 0;
    count.dead = true;
  }));
}

/**
 * The portable twin of `weakwire`'s `IDWeakMap`: ids (safe integers or strings) to objects held
 * weakly, built on `WeakRef` and `FinalizationRegistry`. `has`, `get`, `size` and iteration check
 * each value's liveness, so they never show a collected value even before the registry reported
 * its death. Iteration follows insertion order over a snapshot of the keys taken when it starts.
 *
 * Unlike the native map, reading a value (`get`, `has`, `size`, iteration) keeps it alive until
 * the current synchronous job ends: that is how `WeakRef.prototype.deref` is specified.
 */
export class IDWeakMap<K extends IDWeakMapKey = number, V extends object = object>
  implements Iterable<[K, V]>
{
  readonly #entries = new Map<K, Entry<K, V>>();
  readonly #count: MapCount = { entries: 0, dead: false };
  readonly #counters: PortableCounters;
  readonly #registry: FinalizationRegistry<Entry<K, V>>;

  /** @param entries optional initial entries, like `new Map(entries)`. */
  constructor(entries?: Iterable<readonly [K, V]> | null) {
    const state = realmState();
    this.#counters = state.counters;
    this.#registry = valueRegistry(this.#entries, this.#count, state.counters);
    mapsRegistry(state).register(this, this.#count);
    if (entries !== undefined && entries !== null) {
      for (const [key, value] of entries) this.set(key, value);
    }
  }

  static #check<K extends IDWeakMapKey, V extends object>(receiver: IDWeakMap<K, V>, method: string): void {
    if (typeof receiver !== 'object' || receiver === null || !(#entries in receiver)) {
      throw mapReceiverError(method, receiver);
    }
  }

  #add(n: number): void {
    this.#count.entries += n;
    this.#counters.mapEntries += n;
  }

  #drop(entry: Entry<K, V>): void {
    this.#entries.delete(entry.key);
    this.#registry.unregister(entry);
    this.#add(-1);
  }

  /** The live value of `entry`; a dead one is pruned on the spot. */
  #live(entry: Entry<K, V> | undefined): V | undefined {
    if (entry === undefined) return undefined;
    const value = entry.ref.deref();
    if (value === undefined) this.#drop(entry);
    return value;
  }

  /** Stores `value` under `key`, replacing (and releasing) any previous value. */
  set(key: K, value: V): this {
    IDWeakMap.#check(this, 'set');
    checkMapKey('set', key);
    checkMapValue(value);
    // -0 and 0 are one key, as in the native map (Map.prototype.set stores -0 as 0).
    const entry: Entry<K, V> = { key: (key === 0 ? 0 : key) as K, ref: new WeakRef(value) };
    const old = this.#entries.get(key);
    if (old === undefined) this.#add(1);
    else this.#registry.unregister(old);
    this.#entries.set(key, entry); // an existing key keeps its place in insertion order
    this.#registry.register(value, entry, entry);
    return this;
  }

  /** The live value under `key`, or undefined. */
  get(key: K): V | undefined {
    IDWeakMap.#check(this, 'get');
    checkMapKey('get', key);
    return this.#live(this.#entries.get(key));
  }

  /** Whether `key` holds a live value. */
  has(key: K): boolean {
    IDWeakMap.#check(this, 'has');
    checkMapKey('has', key);
    return this.#live(this.#entries.get(key)) !== undefined;
  }

  #delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    const live = entry.ref.deref() !== undefined;
    this.#drop(entry);
    return live;
  }

  /** Removes `key`; true if it held a live value. */
  delete(key: K): boolean {
    IDWeakMap.#check(this, 'delete');
    checkMapKey('delete', key);
    return this.#delete(key);
  }

  /** Electron's name for `delete`. */
  remove(key: K): boolean {
    IDWeakMap.#check(this, 'remove');
    checkMapKey('remove', key);
    return this.#delete(key);
  }

  /** Removes every entry and releases their registrations. */
  clear(): void {
    IDWeakMap.#check(this, 'clear');
    for (const entry of this.#entries.values()) this.#registry.unregister(entry);
    this.#add(-this.#entries.size);
    this.#entries.clear();
  }

  /** Number of live entries. Checks every entry, so it costs O(n). */
  get size(): number {
    IDWeakMap.#check(this, 'size');
    let live = 0;
    for (const entry of this.#entries.values()) if (this.#live(entry) !== undefined) live++;
    return live;
  }

  // Walks a snapshot of the keys, looking each value up as it goes: entries deleted or collected
  // meanwhile are skipped, and values are not held alive by the iterator.
  *#walk(): IterableIterator<[K, V]> {
    const keys = [...this.#entries.keys()];
    for (const key of keys) {
      const value = this.#live(this.#entries.get(key));
      if (value !== undefined) yield [key, value];
    }
  }

  /** Live keys, in insertion order. */
  keys(): IterableIterator<K> {
    IDWeakMap.#check(this, 'keys');
    return project(this.#walk(), 0);
  }

  /** Live values, in insertion order. */
  values(): IterableIterator<V> {
    IDWeakMap.#check(this, 'values');
    return project(this.#walk(), 1);
  }

  /** Live `[key, value]` pairs, in insertion order. */
  entries(): IterableIterator<[K, V]> {
    IDWeakMap.#check(this, 'entries');
    return this.#walk();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    IDWeakMap.#check(this, '[Symbol.iterator]');
    return this.#walk();
  }

  /** Calls `callback(value, key, map)` for each live entry. */
  forEach(callback: (value: V, key: K, map: this) => void, thisArg?: unknown): void {
    IDWeakMap.#check(this, 'forEach');
    checkForEachCallback(callback);
    for (const [key, value] of this.#walk()) callback.call(thisArg, value, key, this);
  }

  get [Symbol.toStringTag](): string {
    return 'IDWeakMap';
  }
}

function* project<T extends unknown[], I extends 0 | 1>(pairs: Iterable<T>, index: I): IterableIterator<T[I]> {
  for (const pair of pairs) yield pair[index];
}

// Outside the class so the callback's context holds the map's parts, never the map itself.
function valueRegistry<K, V extends object>(
  entries: Map<K, Entry<K, V>>,
  count: MapCount,
  counters: PortableCounters,
): FinalizationRegistry<Entry<K, V>> {
  return new FinalizationRegistry<Entry<K, V>>((entry) => {
    if (count.dead || entries.get(entry.key) !== entry) return;
    entries.delete(entry.key);
    count.entries--;
    counters.mapEntries--;
  });
}

/** Electron's factory: same as `new IDWeakMap<K, V>()`. */
export function createIDWeakMap<K extends IDWeakMapKey = number, V extends object = object>(): IDWeakMap<K, V> {
  return new IDWeakMap<K, V>();
}
