// Weak map operations: IDWeakMap vs a hand-written Map<key, WeakRef> + FinalizationRegistry vs
// npm weakref's WeakValueMap. Integer keys, values kept alive by the benchmark.
import { benchRequire, loadWeakwire } from '../lib/weakwire.mjs';
import { measureRounds } from '../lib/rounds.mjs';
import { WeakRefMap } from '../peers/weakref-map.mjs';

export const MAP_IMPLS = ['IDWeakMap', 'Map<key, WeakRef> + FR', 'weakref WeakValueMap'];
export const MAP_OPS = ['set', 'get', 'has', 'delete'];

export async function mapCase({ rounds, time, size = 10_000 }) {
  const { IDWeakMap } = loadWeakwire();
  const { WeakValueMap } = benchRequire('weakref');
  const makers = {
    IDWeakMap: () => new IDWeakMap(),
    'Map<key, WeakRef> + FR': () => new WeakRefMap(),
    'weakref WeakValueMap': () => new WeakValueMap(),
  };
  const values = Array.from({ length: size }, (_, i) => ({ id: i }));
  const fill = (map) => {
    for (let i = 0; i < size; i++) map.set(i, values[i]);
    return map;
  };
  let sink = 0;
  const tasks = [];
  for (const impl of MAP_IMPLS) {
    const make = makers[impl];
    let map = null;
    const drop = () => {
      map = null;
      globalThis.gc();
    };
    tasks.push(
      {
        name: `${impl} set`,
        opsPerCall: size,
        beforeEach: () => {
          map = make();
        },
        afterEach: drop,
        fn: () => {
          for (let i = 0; i < size; i++) map.set(i, values[i]);
        },
      },
      {
        name: `${impl} get`,
        opsPerCall: size,
        beforeAll: () => {
          map = fill(make());
        },
        afterAll: drop,
        fn: () => {
          for (let i = 0; i < size; i++) if (map.get(i) !== undefined) sink++;
        },
      },
      {
        name: `${impl} has`,
        opsPerCall: size,
        beforeAll: () => {
          map = fill(make());
        },
        afterAll: drop,
        fn: () => {
          for (let i = 0; i < size; i++) if (map.has(i)) sink++;
        },
      },
      {
        name: `${impl} delete`,
        opsPerCall: size,
        beforeEach: () => {
          map = fill(make());
        },
        afterEach: drop,
        fn: () => {
          for (let i = 0; i < size; i++) if (map.delete(i)) sink++;
        },
      },
    );
  }
  const result = await measureRounds(tasks, { rounds, time, iterations: 8 });
  if (sink === 0) throw new Error('map benchmark did nothing');
  return result;
}

export const MAP_SCALE_SIZES = [1_000, 10_000, 100_000];

/**
 * get and has in a tight loop over every key of maps of 10^3, 10^4 and 10^5 entries, IDWeakMap
 * against the hand-written Map<key, WeakRef>; and IDWeakMap's size read 10,000 times in a row
 * (no collection in between) at each size, which is O(1) when it costs the same at every size.
 */
export async function mapScaleCase({ rounds, time, sizes = MAP_SCALE_SIZES }) {
  const { IDWeakMap } = loadWeakwire();
  const makers = { IDWeakMap: () => new IDWeakMap(), 'Map<key, WeakRef> + FR': () => new WeakRefMap() };
  let sink = 0;
  const tasks = [];
  for (const size of sizes) {
    const values = Array.from({ length: size }, (_, i) => ({ id: i }));
    for (const [impl, make] of Object.entries(makers)) {
      let map = null;
      const fill = () => {
        map = make();
        for (let i = 0; i < size; i++) map.set(i, values[i]);
      };
      const drop = () => {
        map = null;
        globalThis.gc();
      };
      tasks.push(
        {
          name: `${impl} get @${size}`,
          opsPerCall: size,
          beforeAll: fill,
          afterAll: drop,
          fn: () => {
            for (let i = 0; i < size; i++) if (map.get(i) !== undefined) sink++;
          },
        },
        {
          name: `${impl} has @${size}`,
          opsPerCall: size,
          beforeAll: fill,
          afterAll: drop,
          fn: () => {
            for (let i = 0; i < size; i++) if (map.has(i)) sink++;
          },
        },
      );
      if (impl === 'IDWeakMap') {
        tasks.push({
          name: `${impl} size @${size}`,
          opsPerCall: 10_000,
          beforeAll: fill,
          afterAll: drop,
          fn: () => {
            for (let i = 0; i < 10_000; i++) sink += map.size;
          },
        });
      }
    }
  }
  const result = await measureRounds(tasks, { rounds, time, iterations: 8 });
  if (sink === 0) throw new Error('map scale benchmark did nothing');
  return result;
}
