/**
 * The portable backend's per-realm state hangs off globalThis. Jest "soft deletes" the own
 * properties of what a test file left on its global when the file ends (JEST-01: each later read
 * warns, and will throw in a future Jest); finalizers that run after that must not read them.
 */
import { IDWeakMap, stats } from '../../src/ts/portable';
import { realmState } from '../../src/ts/portable/realm_state';
import { gcUntil } from '../../src/ts/testing';

/** Replaces each own property of `object` with an accessor that records its reads, as Jest does. */
function softDelete(object: object): { reads: PropertyKey[]; restore(): void } {
  const reads: PropertyKey[] = [];
  const saved = Reflect.ownKeys(object).map((key) => [key, Reflect.getOwnPropertyDescriptor(object, key)!] as const);
  for (const [key, descriptor] of saved) {
    Object.defineProperty(object, key, {
      configurable: true,
      get: () => {
        reads.push(key);
        return descriptor.value;
      },
    });
  }
  return { reads, restore: () => saved.forEach(([key, descriptor]) => Object.defineProperty(object, key, descriptor)) };
}

test("a map collected after the realm state was soft-deleted still leaves the counters exact, without reading the state", async () => {
  const values = Array.from({ length: 10 }, (_, i) => ({ i }));
  let map: IDWeakMap | undefined = new IDWeakMap();
  values.forEach((value, i) => map!.set(i, value));
  const baseline = stats().mapEntries;
  const counters = realmState().counters;
  const jest = softDelete(realmState());
  try {
    map = undefined;
    // The values stay alive: only the map's own death can take its 10 entries off the count.
    await gcUntil(() => counters.mapEntries === baseline - 10);
  } finally {
    jest.restore();
  }
  expect(jest.reads).toEqual([]);
  expect(stats().mapEntries).toBe(baseline - 10);
  expect(values).toHaveLength(10);
});
