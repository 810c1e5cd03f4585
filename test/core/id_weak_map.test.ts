import { BACKENDS, type Backend } from './backends';
import { prng } from '../helpers/prng';
import { forceGC, gcUntil } from '../../src/ts/testing';
import { nextTurn } from '../../src/ts/testing/gc';

// Each helper allocates in its own frame, so the test's stack does not keep values alive. One
// value is stored under every key given.
function setGarbage(map: InstanceType<Backend['IDWeakMap']>, ...keys: Array<number | string>): void {
  const value = { garbage: keys[0] };
  for (const key of keys) map.set(key, value);
}

describe.each(BACKENDS)('%s backend', (_backend, { IDWeakMap, createIDWeakMap, setDestructor, stats }) => {
  describe('IDWeakMap basics', () => {
    afterEach(async () => {
      await gcUntil(() => stats().mapEntries === 0);
    });

    test('createIDWeakMap() and new IDWeakMap() both make an empty map', () => {
      expect(createIDWeakMap()).toBeInstanceOf(IDWeakMap);
      expect(new IDWeakMap().size).toBe(0);
    });

    test('set returns the map, get returns the value, has says true', () => {
      const map = new IDWeakMap<number, object>();
      const value = {};
      expect(map.set(1, value)).toBe(map);
      expect(map.get(1)).toBe(value);
      expect(map.has(1)).toBe(true);
    });

    test('get of a missing key is undefined and has is false', () => {
      const map = new IDWeakMap();
      expect(map.get(404)).toBeUndefined();
      expect(map.has(404)).toBe(false);
    });

    test('number and string keys are distinct, and -0 is the same key as 0', () => {
      const map = new IDWeakMap<number | string, object>();
      const a = { a: 1 };
      const b = { b: 1 };
      map.set(1, a).set('1', b);
      expect(map.get(1)).toBe(a);
      expect(map.get('1')).toBe(b);
      map.set(-0, a);
      expect(map.get(0)).toBe(a);
      expect(map.size).toBe(3);
    });

    test('accepts the extreme safe integers and any string, including empty and non-ASCII', () => {
      const map = new IDWeakMap<number | string, object>();
      const values = [{}, {}, {}, {}];
      map.set(Number.MAX_SAFE_INTEGER, values[0]);
      map.set(Number.MIN_SAFE_INTEGER, values[1]);
      map.set('', values[2]);
      map.set('ключ-🔑', values[3]);
      expect(map.get(Number.MAX_SAFE_INTEGER)).toBe(values[0]);
      expect(map.get(Number.MIN_SAFE_INTEGER)).toBe(values[1]);
      expect(map.get('')).toBe(values[2]);
      expect(map.get('ключ-🔑')).toBe(values[3]);
      expect([...map.keys()]).toEqual([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, '', 'ключ-🔑']);
    });

    test('values may be functions', () => {
      const map = new IDWeakMap<string, object>();
      const fn = () => 1;
      map.set('f', fn);
      expect(map.get('f')).toBe(fn);
    });

    test('delete and remove (Electron\'s name) remove a live entry and report it', () => {
      const map = new IDWeakMap<number, object>();
      const value = {};
      map.set(1, value).set(2, value);
      expect(map.delete(1)).toBe(true);
      expect(map.remove(2)).toBe(true);
      expect(map.delete(1)).toBe(false);
      expect(map.remove(3)).toBe(false);
      expect(map.size).toBe(0);
    });

    test('iteration follows insertion order and an overwrite keeps the key in place', () => {
      const map = new IDWeakMap<number, object>();
      const [a, b, c, d] = [{ n: 'a' }, { n: 'b' }, { n: 'c' }, { n: 'd' }];
      map.set(3, a).set(1, b).set(2, c);
      map.set(1, d);
      expect([...map.keys()]).toEqual([3, 1, 2]);
      expect([...map.values()]).toEqual([a, d, c]);
      expect([...map.entries()]).toEqual([[3, a], [1, d], [2, c]]);
      expect([...map]).toEqual([[3, a], [1, d], [2, c]]);
      const seen: Array<[number, object, unknown]> = [];
      map.forEach(function (this: unknown, value, key, self) {
        seen.push([key, value, this]);
        expect(self).toBe(map);
      }, 'ctx');
      expect(seen).toEqual([[3, a, 'ctx'], [1, d, 'ctx'], [2, c, 'ctx']]);
    });

    test('entries deleted during iteration are skipped', () => {
      const map = new IDWeakMap<number, object>();
      const values = [{}, {}, {}];
      values.forEach((v, i) => map.set(i, v));
      const seen: number[] = [];
      for (const [key] of map) {
        seen.push(key);
        if (key === 0) map.delete(1);
      }
      expect(seen).toEqual([0, 2]);
    });

    test('the constructor accepts initial entries like Map', () => {
      const a = {};
      const b = {};
      const map = new IDWeakMap<string, object>([['a', a], ['b', b]]);
      expect(map.get('a')).toBe(a);
      expect(map.size).toBe(2);
    });

    test('clear removes everything', () => {
      const map = new IDWeakMap<number, object>();
      const keep = [{}, {}];
      map.set(1, keep[0]).set(2, keep[1]);
      map.clear();
      expect(map.size).toBe(0);
      expect(map.get(1)).toBeUndefined();
    });

    test('Object.prototype.toString names it', () => {
      expect(Object.prototype.toString.call(new IDWeakMap())).toBe('[object IDWeakMap]');
    });
  });

  describe('IDWeakMap and garbage collection', () => {
    afterEach(async () => {
      await gcUntil(() => stats().mapEntries === 0);
    });

    test('an entry disappears once its value is collected', async () => {
      const map = new IDWeakMap<number | string, object>();
      setGarbage(map, 1);
      await gcUntil(() => !map.has(1));
      expect(map.get(1)).toBeUndefined();
      expect(map.size).toBe(0);
      expect([...map]).toEqual([]);
    });

    test('has, get, size and iteration hide a collected value even before its finalizer ran', async () => {
      const map = new IDWeakMap<number | string, object>();
      setGarbage(map, 1);
      setGarbage(map, 2);
      const kept = { kept: true };
      map.set(3, kept);
      await nextTurn();
      forceGC();
      // The finalizers have not run yet (they are deferred): the native entries still exist...
      expect(stats().mapEntries).toBe(3);
      // ...but no caller can see them.
      expect(map.has(1)).toBe(false);
      expect(map.get(2)).toBeUndefined();
      expect(map.size).toBe(1);
      expect([...map.keys()]).toEqual([3]);
      expect([...map.values()]).toEqual([kept]);
    });

    test('a value collected between two iteration steps is skipped', async () => {
      const map = new IDWeakMap<number | string, object>();
      const first = { first: true };
      map.set(1, first);
      setGarbage(map, 2);
      await nextTurn();
      const iterator = map.keys();
      expect(iterator.next().value).toBe(1);
      forceGC();
      expect(iterator.next().done).toBe(true);
    });

    test('a finalizer of an old value never removes a newer value under the same key', async () => {
      const map = new IDWeakMap<number | string, object>();
      // The old value also sits under a witness key: that entry's finalizer runs in the same pass
      // as the old value's other finalizers, so once its entry is gone they have all run.
      setGarbage(map, 'k', 'witness');
      const newer = { newer: true };
      map.set('k', newer);
      expect(stats().mapEntries).toBe(2);
      await gcUntil(() => stats().mapEntries < 2);
      expect(map.get('k')).toBe(newer);
      expect(stats().mapEntries).toBe(1);
    });

    test('set after death under the same key keeps the new value (old finalizer still pending)', async () => {
      const map = new IDWeakMap<number | string, object>();
      // The witness key proves the old value's finalizers ran, as in the test above.
      setGarbage(map, 7, 'witness');
      await nextTurn();
      forceGC(); // the old value is dead; its finalizers are queued but have not run
      expect(stats().mapEntries).toBe(2);
      const newer = { newer: true };
      map.set(7, newer);
      await gcUntil(() => stats().mapEntries < 2);
      expect(map.get(7)).toBe(newer);
      expect(map.size).toBe(1);
      expect(stats().mapEntries).toBe(1);
    });

    test('size read before a collection is not reused after it: collected values are never counted', async () => {
      const map = new IDWeakMap<number, object>();
      const kept = Array.from({ length: 10 }, (_, i) => ({ kept: i }));
      kept.forEach((value, i) => map.set(i, value));
      (() => {
        for (let i = 10; i < 20; i++) map.set(i, { garbage: i });
      })();
      expect(map.size).toBe(20);
      expect(map.size).toBe(20); // answered from the count: no collection in between
      await nextTurn(); // a WeakRef read in this job (portable map) keeps its target until it ends
      forceGC();
      expect(map.size).toBe(10);
      kept.length = 5;
      await nextTurn();
      forceGC();
      expect(map.size).toBe(5);
    });

    test('size follows set, overwrite, delete and clear exactly between collections (seeded model)', () => {
      const random = prng(0x51e);
      const map = new IDWeakMap<number | string, object>();
      const model = new Map<number | string, object>();
      const values = Array.from({ length: 64 }, (_, i) => ({ i }));
      for (let step = 0; step < 5000; step++) {
        const key = random() < 0.5 ? Math.floor(random() * 40) : `k${Math.floor(random() * 40)}`;
        const action = random();
        if (action < 0.5) {
          const value = values[Math.floor(random() * values.length)];
          map.set(key, value);
          model.set(key, value);
        } else if (action < 0.8) {
          expect(map.delete(key)).toBe(model.delete(key));
        } else if (action < 0.805) {
          map.clear();
          model.clear();
        }
        if (step % 7 === 0) expect(map.size).toBe(model.size);
      }
      expect([...map.keys()]).toEqual([...model.keys()]);
    });

    test('overwrite releases the old weak reference at once', () => {
      const map = new IDWeakMap<number, object>();
      const values = [{}, {}];
      map.set(1, values[0]);
      const before = stats().mapEntries;
      map.set(1, values[1]);
      expect(stats().mapEntries).toBe(before);
    });

    test('delete and clear release weak references at once', () => {
      const map = new IDWeakMap<number, object>();
      const values = [{}, {}, {}];
      values.forEach((v, i) => map.set(i, v));
      const base = stats().mapEntries;
      map.delete(0);
      expect(stats().mapEntries).toBe(base - 1);
      map.clear();
      expect(stats().mapEntries).toBe(base - 3);
    });

    test('a map collected while its values live frees its entries; the values die later safely', async () => {
      const values = Array.from({ length: 1000 }, (_, i) => ({ i }));
      let died = 0;
      const onDeath = () => died++;
      (() => {
        const map = new IDWeakMap<number, object>();
        values.forEach((v, i) => map.set(i, v));
        // Proof that every value died: a destructor on each, which must run.
        for (const value of values) setDestructor(value, onDeath);
      })();
      await gcUntil(() => stats().mapEntries === 0);
      values.length = 0; // now the values die too; their finalizers were removed with the map
      await gcUntil(() => died === 1000);
      expect(stats().mapEntries).toBe(0);
    });

    test('many maps and many values churned: stats() returns to zero', async () => {
      for (let round = 0; round < 20; round++) {
        const map = new IDWeakMap<number, object>();
        for (let i = 0; i < 5000; i++) map.set(i, { i });
        if (round % 2 === 0) map.clear();
      }
      await gcUntil(() => stats().mapEntries === 0);
    });

    test('one value stored in two maps and under two keys disappears from all', async () => {
      const a = new IDWeakMap<number | string, object>();
      const b = new IDWeakMap<number | string, object>();
      (() => {
        const shared = {};
        a.set(1, shared).set('one', shared);
        b.set(1, shared);
      })();
      await gcUntil(() => a.size === 0 && b.size === 0);
    });
  });

  describe('IDWeakMap bad input', () => {
    const map = new IDWeakMap<number | string, object>();
    const badKeys: Array<[string, unknown, RegExp]> = [
      ['1.5', 1.5, /key must be a safe integer or a string; got the number 1\.5/],
      ['NaN', NaN, /got NaN/],
      ['Infinity', Infinity, /got the number Infinity/],
      ['2 ** 53', 2 ** 53, /key must be a safe integer or a string/],
      ['an object', {}, /got an object/],
      ['a symbol', Symbol('k'), /got a symbol/],
      ['a bigint', 1n, /got a bigint/],
      ['undefined', undefined, /got undefined/],
      ['null', null, /got null/],
      ['a boolean', true, /got a boolean/],
    ];

    test.each(badKeys)('key %s is a TypeError in set, get, has and delete', (_name, key, message) => {
      const before = stats();
      for (const call of [
        () => map.set(key as never, {}),
        () => map.get(key as never),
        () => map.has(key as never),
        () => map.delete(key as never),
        () => map.remove(key as never),
      ]) {
        expect(call).toThrow(TypeError);
        expect(call).toThrow(message);
      }
      expect(stats()).toEqual(before);
    });

    test.each([
      ['a number', 5, /value must be an object or a function; got the number 5/],
      ['a string', 's', /got a string/],
      ['null', null, /got null/],
      ['undefined', undefined, /got undefined/],
      ['a symbol', Symbol('v'), /got a symbol/],
    ])('value %s is a TypeError and nothing is stored', (_name, value, message) => {
      const before = stats();
      expect(() => map.set(1, value as never)).toThrow(TypeError);
      expect(() => map.set(1, value as never)).toThrow(message);
      expect(map.has(1)).toBe(false);
      expect(stats()).toEqual(before);
    });

    test('a bad value under a key already in use leaves the old value there', () => {
      const owner = new IDWeakMap<number, object>();
      const kept = { kept: true };
      owner.set(7, kept);
      const before = stats();
      expect(() => owner.set(7, 42 as never)).toThrow(/value must be an object or a function; got the number 42/);
      expect(owner.get(7)).toBe(kept);
      expect(owner.size).toBe(1);
      expect(stats()).toEqual(before);
    });

    test.each(['set', 'get', 'has', 'delete', 'remove', 'clear', 'forEach', 'keys'])(
      'calling %s on something that is not an IDWeakMap is a TypeError',
      (method) => {
        const fn = (IDWeakMap.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
        const call = () => {
          const result = fn.call({}, 1, {});
          if (result && typeof (result as Iterator<unknown>).next === 'function') (result as Iterator<unknown>).next();
        };
        expect(call).toThrow(TypeError);
        expect(call).toThrow(new RegExp(`IDWeakMap\\.prototype\\.${method} called on object; expected an IDWeakMap`));
      },
    );

    test('the size getter on a foreign receiver is a TypeError', () => {
      const getter = Object.getOwnPropertyDescriptor(IDWeakMap.prototype, 'size')!.get!;
      expect(() => getter.call(null)).toThrow(/IDWeakMap\.prototype\.size called on null/);
    });

    test('forEach with a non-function callback is a TypeError', () => {
      expect(() => map.forEach(42 as never)).toThrow(/callback must be a function/);
    });
  });
});
