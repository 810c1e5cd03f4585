/**
 * What the portable backend keeps for one JavaScript realm (a page, a worker, a vm context, a
 * jest test file's sandbox). It hangs off that realm's `globalThis`, so every copy of this code in
 * one realm (a bundle that inlined two versions of the package, CommonJS and ESM faces) shares one
 * destructor table and one set of counters, as the native backend's copies share one addon
 * instance; and it dies with the realm, so it can never keep a discarded realm alive.
 * @packageDocumentation
 */

/** Counters behind the portable `stats()`. */
export interface PortableCounters {
  /** Registrations whose target is alive (or whose death the registry has not reported yet). */
  trackedObjects: number;
  /** Registrations whose target died and whose callback has not run yet. */
  pendingCallbacks: number;
  /** Entries of every portable IDWeakMap of this realm, pruned or finalized ones excluded. */
  mapEntries: number;
}

/** Per-realm state; the destructor table and the maps fill in their parts lazily. */
export interface RealmState {
  readonly counters: PortableCounters;
  /** Owned by weak_handle.ts. */
  destructors?: unknown;
  /** Owned by id_weak_map.ts: subtracts a collected map's entries from the counters. */
  maps?: FinalizationRegistry<{ entries: number; dead: boolean }>;
}

// Versioned: a future layout gets a new key instead of misreading this one.
const KEY = Symbol.for('weakwire.portable.v1');

/** This realm's state, created on first use. */
export function realmState(): RealmState {
  const global = globalThis as { [KEY]?: RealmState };
  let state = global[KEY];
  if (state === undefined) {
    state = { counters: { trackedObjects: 0, pendingCallbacks: 0, mapEntries: 0 } };
    Object.defineProperty(global, KEY, { value: state, configurable: true });
  }
  return state;
}
