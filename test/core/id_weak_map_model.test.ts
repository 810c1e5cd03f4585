/**
 * IDWeakMap against a Map model, with values kept alive: whatever keys and operations come,
 * get, has, delete, size and keys (in insertion order) answer as a Map does. The keys mix the
 * shapes that stress a hash index: runs of consecutive ids, strides of powers of two, negative
 * and near-MAX_SAFE_INTEGER numbers, -0, and strings that look like numbers.
 */
import fc from 'fast-check';
import { BACKENDS } from './backends';

const key = fc.oneof(
  fc.integer({ min: 0, max: 5000 }),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 40 })).map(([i, bits]) => i * 2 ** bits),
  fc.integer({ min: -1000, max: -1 }),
  fc.integer({ min: 0, max: 64 }).map((d) => Number.MAX_SAFE_INTEGER - d),
  fc.integer({ min: 0, max: 64 }).map((d) => Number.MIN_SAFE_INTEGER + d),
  fc.constant(-0),
  fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: 0, max: 50 }).map(String)),
);

type Op =
  | { kind: 'set'; key: number | string; value: number }
  | { kind: 'run'; from: number; length: number; value: number }
  | { kind: 'delete'; key: number | string }
  | { kind: 'read'; key: number | string }
  | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.nat(31) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      from: fc.integer({ min: -100, max: 100_000 }),
      length: fc.integer({ min: 1, max: 300 }),
      value: fc.nat(31),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('read' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe.each(BACKENDS)('%s backend', (_backend, { IDWeakMap }) => {
  test('IDWeakMap answers as a Map for any keys and operations (values kept alive)', () => {
    const values = Array.from({ length: 32 }, (_, i) => ({ i }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const map = new IDWeakMap<number | string, object>();
        const model = new Map<number | string, object>();
        // -0 and 0 are one key, as in a Map; keys() gives it back as 0.
        const norm = (k: number | string) => (Object.is(k, -0) ? 0 : k);
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, values[o.value]);
            model.set(norm(o.key), values[o.value]);
          } else if (o.kind === 'run') {
            for (let k = o.from; k < o.from + o.length; k++) {
              map.set(k, values[(o.value + k) & 31]);
              model.set(k, values[(o.value + k) & 31]);
            }
          } else if (o.kind === 'delete') {
            expect(map.delete(o.key)).toBe(model.delete(norm(o.key)));
          } else if (o.kind === 'read') {
            expect(map.get(o.key)).toBe(model.get(norm(o.key)));
            expect(map.has(o.key)).toBe(model.has(norm(o.key)));
          } else {
            map.clear();
            model.clear();
          }
        }
        expect(map.size).toBe(model.size);
        expect([...map.keys()]).toEqual([...model.keys()]);
        for (const k of model.keys()) expect(map.get(k)).toBe(model.get(k));
        map.clear();
      }),
      { numRuns: 150 },
    );
  });
});
