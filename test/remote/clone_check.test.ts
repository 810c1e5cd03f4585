// The receiver's check of a clone record of this realm (CloneCheck, copy off): it first walks with
// a partial record of the objects it met (what it replaced, and objects that took many steps),
// keeps the value's objects and its small arrays without named properties as they are, rebuilds
// the rest, and must give what a plain walk with a record gives (the reference below: arrays
// rebuilt from their items) for every value, while its work stays bounded by the value's real
// size whatever the peer sends. Values here are made in the test's own realm, as structured clone
// makes them outside jest (over a port, jest's context receives the main context's objects, which
// take the copying check).
import { types } from 'node:util';
import { serialize } from 'node:v8';
import fc from 'fast-check';
import { CloneCheck } from '../../src/ts/remote/codec/clone_check';
import { graphs, sameShape } from './graph';

type Outcome = { ok: true; out: unknown[] } | { ok: false; code: unknown; message: string };

function failed(error: unknown): Outcome {
  return { ok: false, code: (error as { code?: unknown }).code, message: (error as Error).message };
}

/** Checks `values` as the clone records of one message; how that ended. */
function outcome(values: readonly unknown[], maxDepth: number, copy: boolean): Outcome {
  const check = new CloneCheck(maxDepth, copy);
  try {
    return { ok: true, out: values.map((value) => check.value(value)) };
  } catch (error) {
    return failed(error);
  }
}

const VIEWS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView];

/**
 * The reference: a walk that records every object met and copies everything, arrays as their
 * items only, with the check's refusals and messages; `maxDepth` counts arrays, objects, Maps and
 * Sets. Simple on purpose: one walk, every object recorded.
 */
function reference(values: readonly unknown[], maxDepth: number): Outcome {
  const done = new Map<object, unknown>();
  let depth = 0;
  const refuse = (what: string): never => {
    throw Object.assign(new Error(`Malformed value: a clone holds ${what}`), { code: 'ERR_REMOTE_PROTOCOL' });
  };
  const tag = (v: object): string => Object.prototype.toString.call(v).slice(8, -1);
  const enter = (): void => {
    if (++depth > maxDepth) {
      throw Object.assign(new Error(`Malformed value: nested more than ${maxDepth} levels deep (maxDepth)`), { code: 'ERR_REMOTE_TOO_DEEP' });
    }
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'function' || typeof v === 'symbol') return refuse(typeof v);
    if (typeof v !== 'object' || v === null) return v;
    if (done.has(v)) return done.get(v);
    const proto = Object.getPrototypeOf(v);
    // Kinds told apart whatever the realm (under jest, some constructors are the main context's).
    if (Array.isArray(v) && Array.isArray(proto)) {
      const items = v as unknown[];
      const out: unknown[] = [];
      done.set(v, out);
      enter();
      for (let i = 0; i < items.length; i++) {
        if (!(i in items)) refuse('a sparse array');
        out.push(walk(items[i]));
      }
      depth--;
      return out;
    }
    if (proto !== null && Object.getPrototypeOf(proto) === null && proto.constructor?.name === 'Object') {
      const out: Record<string, unknown> = {};
      done.set(v, out);
      enter();
      for (const key of Object.keys(v)) {
        Object.defineProperty(out, key, { value: walk((v as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
      }
      depth--;
      return out;
    }
    if (types.isMap(v) || types.isSet(v)) {
      const out = types.isMap(v) ? new Map() : new Set();
      done.set(v, out);
      enter();
      if (out instanceof Map) for (const [k, x] of v as Map<unknown, unknown>) out.set(walk(k), walk(x));
      else for (const x of v as Set<unknown>) out.add(walk(x));
      depth--;
      return out;
    }
    if (types.isDate(v)) return done.set(v, new Date((v as Date).getTime())).get(v);
    if (types.isRegExp(v)) return done.set(v, new RegExp((v as RegExp).source, (v as RegExp).flags)).get(v);
    if (types.isArrayBuffer(v)) return done.set(v, (v as ArrayBuffer).slice(0)).get(v);
    if (ArrayBuffer.isView(v) && types.isArrayBuffer(v.buffer)) {
      const View = VIEWS.find((C) => tag(v) === C.name);
      const width = (View as { BYTES_PER_ELEMENT?: number } | undefined)?.BYTES_PER_ELEMENT ?? 1;
      if (View !== undefined) {
        const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
        return done.set(v, new (View as typeof DataView)(bytes.buffer, 0, v.byteLength / width)).get(v);
      }
    }
    return refuse(`${tag(v)} that is not plain data`);
  };
  try {
    return { ok: true, out: values.map(walk) };
  } catch (error) {
    return failed(error);
  }
}

/** A copy of `values` made in this realm, shared parts and cycles kept (structured clone gives the main context's objects under jest). */
function copyOf(values: readonly unknown[]): unknown[] {
  const done = new Map<object, unknown>();
  const copy = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (done.has(v)) return done.get(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      done.set(v, out);
      for (const x of v) out.push(copy(x));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      done.set(v, out);
      for (const [k, x] of v) out.set(copy(k), copy(x));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      done.set(v, out);
      for (const x of v) out.add(copy(x));
      return out;
    }
    if (v instanceof Date) return done.set(v, new Date(v.getTime())).get(v);
    const out: Record<string, unknown> = {};
    done.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = copy(x);
    return out;
  };
  return values.map(copy);
}

/** Whether every array reachable from `value` holds its items only. */
function itemsOnly(value: unknown, met = new Set<unknown>()): boolean {
  if (typeof value !== 'object' || value === null || met.has(value)) return true;
  met.add(value);
  if (Array.isArray(value) && Object.getOwnPropertyNames(value).length !== value.length + 1) return false;
  const inside = value instanceof Map ? [...value].flat() : value instanceof Set ? [...value] : ArrayBuffer.isView(value) ? [] : Object.values(value);
  return inside.every((v) => itemsOnly(v, met));
}

/**
 * The check gives what the reference gives, on two builds of the same values (the check changes
 * what it is given): the same refusal, or values of the same shape (shared parts and cycles where
 * the reference has them, across the message's values too) whose arrays hold items only.
 */
function expectAsReference(build: () => unknown[], maxDepth: number): void {
  const got = outcome(build(), maxDepth, false);
  const want = reference(build(), maxDepth);
  if (!got.ok || !want.ok) return void expect(got.ok ? { ok: true } : got).toEqual(want.ok ? { ok: true } : want);
  expect(sameShape(want.out, got.out)).toBe(true);
  expect(itemsOnly(got.out)).toBe(true);
}

/** A chain of `n` diamonds: each level holds the next twice, so 2^n paths lead to the end. */
function diamonds(n: number): unknown[] {
  let value: unknown[] = ['end'];
  for (let i = 0; i < n; i++) value = [value, { again: value }];
  return value;
}

/** A ring of `n` objects, each holding the next. */
function ring(n: number): Record<string, unknown> {
  const first: Record<string, unknown> = {};
  let last = first;
  for (let i = 1; i < n; i++) last = last.next = { i };
  last.next = first;
  return first;
}

/** Names a peer can hang on an array besides its items (index-like ones are names too). */
const arrayNames = fc.constantFrom('x', 'shared', '01', '-0', '1e3', '4294967295', '1.5', '__proto__', 'constructor', '7');

/** A leaf: a primitive, or (made fresh at each build) something no clone may hold or a value the check copies. */
const leaves = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(undefined), fc.constant(null)).map((v) => () => v) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<() => unknown>(
      () => new SharedArrayBuffer(8),
      () => new Uint8Array(new SharedArrayBuffer(8)),
      () => new Error('e'),
      // eslint-disable-next-line no-new-wrappers
      () => new Number(1),
      () => () => 1,
      () => Symbol('s'),
      () => new (class Item {})(),
      () => Buffer.alloc(8_192),
      () => new Float64Array(2),
      () => new Date(5),
    ),
  },
);

/**
 * A message as a recipe, built afresh for each walk (the check changes what it is given): nodes
 * of some kinds wired by edges (shared parts and cycles), named properties hung on arrays (a
 * node or a leaf, whose refusals the check must not see), holes, and the values to send.
 */
const messages = fc
  .record({
    kinds: fc.array(fc.constantFrom('object', 'array', 'array', 'map', 'set'), { minLength: 1, maxLength: 7 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.option(fc.nat(), { nil: null, freq: 3 }), fc.string({ minLength: 1, maxLength: 2 }), leaves), { maxLength: 20 }),
    names: fc.array(fc.tuple(fc.nat(), arrayNames, fc.option(fc.nat(), { nil: null }), leaves), { maxLength: 4 }),
    holes: fc.array(fc.nat(), { maxLength: 1 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  })
  .map(({ kinds, edges, names, holes, picks }) => () => {
    const nodes: any[] = kinds.map((kind) => (kind === 'array' ? [] : kind === 'map' ? new Map() : kind === 'set' ? new Set() : {}));
    for (const [from, to, key, leaf] of edges) {
      const node = nodes[from % nodes.length];
      const value = to === null ? leaf() : nodes[to % nodes.length];
      if (Array.isArray(node)) node.push(value);
      else if (node instanceof Map) node.set(key.length === 2 && to !== null ? nodes[(to + 1) % nodes.length] : key, value);
      else if (node instanceof Set) node.add(value);
      else node[key] = value;
    }
    const arrays = nodes.filter((node) => Array.isArray(node));
    if (arrays.length > 0) {
      for (const [at, name, to, leaf] of names) {
        Object.defineProperty(arrays[at % arrays.length], name, { value: to === null ? leaf() : nodes[to % nodes.length], enumerable: true, writable: true, configurable: true });
      }
      for (const at of holes) arrays[at % arrays.length].length += 1;
    }
    return picks.map((i) => nodes[i % nodes.length]);
  });

/**
 * A message as a recipe like `messages`, with a chain of 55 to 75 nodes through the first ones: deep
 * enough that the first walk gives up past QUICK_DEPTH, or maxDepth near it, at random places.
 */
const deepMessages = fc
  .record({
    chain: fc.integer({ min: 55, max: 75 }),
    kinds: fc.array(fc.constantFrom('object', 'array', 'array', 'map', 'set'), { minLength: 80, maxLength: 80 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.option(fc.nat(), { nil: null, freq: 3 }), fc.string({ minLength: 1, maxLength: 2 }), leaves), { maxLength: 30 }),
    names: fc.array(fc.tuple(fc.nat(), arrayNames, fc.option(fc.nat(), { nil: null }), leaves), { maxLength: 4 }),
    holes: fc.array(fc.nat(), { maxLength: 1 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
  })
  .map(({ chain, kinds, edges, names, holes, picks }) => () => {
    const nodes: any[] = kinds.map((kind) => (kind === 'array' ? [] : kind === 'map' ? new Map() : kind === 'set' ? new Set() : {}));
    const link = (node: any, key: string, value: unknown): void => {
      if (Array.isArray(node)) node.push(value);
      else if (node instanceof Map) node.set(key, value);
      else if (node instanceof Set) node.add(value);
      else node[key] = value;
    };
    for (let i = 0; i + 1 < chain; i++) link(nodes[i], 'n', nodes[i + 1]);
    for (const [from, to, key, leaf] of edges) {
      const node = nodes[from % nodes.length];
      const value = to === null ? leaf() : nodes[to % nodes.length];
      if (node instanceof Map && key.length === 2 && to !== null) node.set(nodes[(to + 1) % nodes.length], value);
      else link(node, key, value);
    }
    const arrays = nodes.filter((node) => Array.isArray(node));
    for (const [at, name, to, leaf] of names) {
      Object.defineProperty(arrays[at % arrays.length], name, { value: to === null ? leaf() : nodes[to % nodes.length], enumerable: true, writable: true, configurable: true });
    }
    for (const at of holes) arrays[at % arrays.length].length += 1;
    return picks.map((i) => nodes[i % nodes.length]);
  });

describe('views of part of a buffer', () => {
  // Node.js's advanced serialization (child processes) gives every typed array as a view of the
  // message's memory, or of its pool of small Buffers; a port peer may send one too. Each gets
  // memory of its own: the rest of its buffer is not the application's data.
  const build = (): unknown[] => {
    const buffer = new ArrayBuffer(24);
    new Uint8Array(buffer).fill(9);
    return [{ low: new Float32Array(buffer, 0, 2), high: new Uint8Array(buffer, 8, 8), data: new DataView(buffer, 16, 4) }];
  };

  test.each([false, true])('are copied into buffers of their own (another realm: %s)', (copy) => {
    const got = outcome(build(), 8, copy) as { ok: true; out: any[] };
    expect(got.ok).toBe(true);
    const { low, high, data } = got.out[0];
    expect([low.buffer.byteLength, high.buffer.byteLength, data.buffer.byteLength]).toEqual([8, 8, 4]);
    expect([low.byteOffset, high.byteOffset, data.byteOffset]).toEqual([0, 0, 0]);
    expect([...high]).toEqual([9, 9, 9, 9, 9, 9, 9, 9]);
    expectAsReference(build, 8);
  });

  test('overlapping views of one buffer copy no more than its size, then are refused', () => {
    const buffer = new ArrayBuffer(1024);
    const views = Array.from({ length: 3 }, () => new Uint8Array(buffer, 1, 1000));
    expect(outcome([views.slice(0, 1)], 8, false)).toMatchObject({ ok: true });
    expect(outcome([views], 8, false)).toMatchObject({ ok: false, code: 'ERR_REMOTE_PROTOCOL', message: expect.stringMatching(/views of one buffer that overlap/) });
  });
});

describe('arrays the check rebuilds', () => {
  // V8 writes a holey array in its sparse form (every index as a key, more bytes and a slower
  // read): a value the application passes on must cost what the array it came as cost.
  test.each([false, true])('serialize as the packed arrays they were (another realm: %s)', (copy) => {
    const long = Array.from({ length: 40 }, (_, i) => ({ i }));
    const named: any = [1, 2];
    named.extra = 'dropped';
    const got = outcome([{ long, named }], 8, copy) as { ok: true; out: any[] };
    expect(got.ok).toBe(true);
    expect(serialize(got.out[0].long)).toEqual(serialize(long));
    expect(serialize(got.out[0].named)).toEqual(serialize([1, 2]));
  });
});

describe('a clone of this realm is checked as a plain walk with a record checks it', () => {
  test('on random messages: shared and cyclic arrays, Maps and Sets, arrays with named properties, holes, things that are not data', () => {
    fc.assert(
      fc.property(messages, fc.integer({ min: 1, max: 8 }), (build, maxDepth) => {
        expectAsReference(build, maxDepth);
      }),
      { numRuns: 3_000 },
    );
  });

  test('on random messages with long chains, maxDepth near where the first walk gives up', () => {
    fc.assert(
      fc.property(deepMessages, fc.constantFrom(50, 63, 64, 65, 70, 200), (build, maxDepth) => {
        expectAsReference(build, maxDepth);
      }),
      { numRuns: 1_000 },
    );
  });

  test('an array shared between two values, and a cycle through an array, stay one array', () => {
    const build = (): unknown[] => {
      const shared: any = [1, 2];
      shared.named = new SharedArrayBuffer(8);
      const ring: any = { items: [] };
      ring.items.push(ring, shared);
      return [{ a: shared, ring }, [shared]];
    };
    expectAsReference(build, 8);
    const [first, second] = (outcome(build(), 8, false) as { out: any[] }).out;
    expect(first.a).toBe(second[0]);
    expect(first.ring.items[0]).toBe(first.ring);
    expect(Object.keys(first.a)).toEqual(['0', '1']);
  });

  test('a part shared with an earlier value of the message, after a walk gave up, is still one part without names', () => {
    // The second value is a ring, which the first walk cannot finish: the walk with the record
    // goes over the first value again and meets its array as the first walk left it.
    const build = (): unknown[] => {
      const shared: any = [[1], { deep: [2] }];
      shared.x = new Error('named');
      const ring: any = { shared };
      ring.self = ring;
      return [shared, ring, new Map([[shared, shared]])];
    };
    expectAsReference(build, 8);
    const out = (outcome(build(), 8, false) as { out: any[] }).out;
    expect(out[1].shared).toBe(out[0]);
    expect([...out[2]][0]).toEqual([out[0], out[0]]);
    expect(Object.keys(out[0])).toEqual(['0', '1']);
  });
  test('a short array with a hole and a named property is refused or stripped when an index is inherited', () => {
    // A hole read through the prototype chain is not undefined, so the walk over the items does
    // not see it; the array must not be kept as it is with its named property.
    (Array.prototype as unknown as Record<number, unknown>)[1] = 'inherited';
    try {
      const build = (): unknown[] => {
        const holed: any = [0];
        holed.length = 2;
        holed.x = new SharedArrayBuffer(8);
        return [holed];
      };
      expect(Object.keys(build()[0] as object)).toHaveLength(2);
      const got = outcome(build(), 8, false);
      expect(got.ok && (got.out[0] as any).x).toBeFalsy();
      expectAsReference(build, 8);
    } finally {
      delete (Array.prototype as unknown as Record<number, unknown>)[1];
    }
  });
});

describe('a key named constructor is data', () => {
  // The check tells this realm's plain objects and arrays by their inherited `constructor`: a clone
  // may carry a key of that name, which must neither pass for a plain object's kind nor hide one.
  test('objects and arrays whose own constructor key holds data are checked as the reference checks them', () => {
    const build = (): unknown[] => {
      const named: any = [1, 2];
      named.constructor = 'not Array';
      return [{ constructor: 'x' }, { constructor: { constructor: [] } }, { constructor: null }, named, [{ constructor: new Map() }]];
    };
    expectAsReference(build, 8);
    const out = (outcome(build(), 8, false) as { out: any[] }).out;
    expect(out.slice(0, 3)).toEqual([{ constructor: 'x' }, { constructor: { constructor: [] } }, { constructor: null }]);
    expect(Object.keys(out[3])).toEqual(['0', '1']);
  });

  test('an object whose own constructor key holds something that is not data is refused', () => {
    const got = outcome([{ constructor: new WeakMap() }], 8, false);
    expect(got).toMatchObject({ ok: false, code: 'ERR_REMOTE_PROTOCOL' });
  });
});

describe('keys on Object.prototype', () => {
  // The check lists a plain object's keys with for...in, which lists inherited keys too.
  test('an enumerable key the application put on Object.prototype is not read as a key of a received object', () => {
    (Object.prototype as Record<string, unknown>).extra = () => 1;
    try {
      const got = outcome([{ a: 1, nested: { b: [2] } }], 8, false) as { ok: true; out: any[] };
      expect(got.ok).toBe(true);
      expect(Object.keys(got.out[0])).toEqual(['a', 'nested']);
    } finally {
      delete (Object.prototype as Record<string, unknown>).extra;
    }
  });
});

describe('a clone of this realm is checked as the walk with a record checks it', () => {
  test('on random graphs (trees, shared parts, cycles, Dates), several values per message, any maxDepth', () => {
    fc.assert(
      fc.property(graphs, fc.integer({ min: 1, max: 8 }), (values, maxDepth) => {
        expectAsReference(() => copyOf(values), maxDepth);
      }),
      { numRuns: 2_000 },
    );
  });

  test('on random trees, which the first walk finishes alone', () => {
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.integer(),
        fc.string({ maxLength: 4 }),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 4 }),
        fc.array(tie('node'), { maxLength: 3 }).map((items) => new Set(items)),
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), tie('node')), { maxLength: 3 }).map((entries) => new Map(entries)),
      ),
    })).node;
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 6 }), (values, maxDepth) => {
        expectAsReference(() => copyOf(values), maxDepth);
      }),
      { numRuns: 2_000 },
    );
  });

  test('a part shared between two values of a message counts where it was first met', () => {
    // Deep inside the second value, `shared` would be too deep; the record walk met it shallow first.
    const shared = [[['leaf']]];
    const second = [[[shared]]];
    expect(outcome([shared, second], 4, false)).toMatchObject({ ok: true });
    expect(outcome([second], 4, false)).toMatchObject({ ok: false, code: 'ERR_REMOTE_TOO_DEEP' });
    expectAsReference(() => {
      const again = [[['leaf']]];
      return [[again], [[[again]]]];
    }, 4);
  });

  test('a cycle within maxDepth is kept, a longer one refused as too deep', () => {
    expect(outcome([ring(200)], 256, false)).toMatchObject({ ok: true });
    expect(outcome([ring(300)], 256, false)).toMatchObject({ ok: false, code: 'ERR_REMOTE_TOO_DEEP' });
  });

  test('a shared part met again deeper down is kept when maxDepth is more than the stack can hold', () => {
    // The first walk goes down the shared part again, past what the stack holds, and must not
    // report that: the walk with the record goes down it once.
    const nested = (depth: number, leaf: unknown): unknown => {
      let value = leaf;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    let fits = 100;
    let overflows = 1_000_000;
    while (overflows - fits > 10) {
      const depth = Math.floor((fits + overflows) / 2);
      if (outcome([nested(depth, 'leaf')], 100_000, true).ok) fits = depth;
      else overflows = depth;
    }
    const shared = nested(Math.floor(fits * 0.6), 'leaf');
    expect(outcome([[shared, nested(Math.floor(fits * 0.6), shared)]], 100_000, false)).toMatchObject({ ok: true });
  });
});

/**
 * The value's real size: every object's weight once, as the check counts it (1 + the slots it
 * holds), and how many objects it has.
 */
function realSize(value: unknown): { weight: number; objects: number } {
  const met = new Set<object>();
  let weight = 0;
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || met.has(v)) return;
    met.add(v);
    if (Array.isArray(v)) (weight += 1 + v.length), v.forEach(walk);
    else if (v instanceof Map) (weight += 1 + 2 * v.size), v.forEach((x, k) => (walk(k), walk(x)));
    else if (v instanceof Set) (weight += 1 + v.size), v.forEach((x) => walk(x));
    else if (v instanceof Date) weight += 1;
    else (weight += 1 + Object.keys(v).length), Object.values(v).forEach(walk);
  };
  walk(value);
  return { weight, objects: met.size };
}

/** SMALL and QUICK_DEPTH in clone_check.ts. */
const SMALL = 16;
const QUICK_DEPTH = 64;

/** Checks `value` (which is data), and that the walks spent no more than their bound. */
function expectBoundedWork(value: unknown): void {
  const check = new CloneCheck(256, false);
  expect(sameShape([value], [check.value(value)])).toBe(true);
  const { weight } = realSize(value);
  // The bound in clone_check.ts: SMALL + 1 steps per reference, what the quick walk may spend
  // before it gives up on a cycle, and one more walk with the full record.
  expect(check.steps).toBeLessThanOrEqual((SMALL + 1) * weight + QUICK_DEPTH * SMALL * SMALL + weight);
}

describe('a hostile clone costs work in proportion to its size', () => {
  // Without a bound, the first walk follows every path: these would not finish.
  test('a chain of 64 diamonds (2^64 paths)', () => {
    expectBoundedWork(diamonds(64));
  });

  test('a chain of 30 diamonds, shallow enough for the walk without the full record (2^30 paths)', () => {
    expectBoundedWork(diamonds(30));
  });

  test('an object of 10 small objects (each under the size the walk records when met) met 20,000 times', () => {
    const part = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, Object.fromEntries(Array.from({ length: 10 }, (_, j) => [`k${j}`, j]))]));
    expectBoundedWork(Array.from({ length: 20_000 }, () => part));
  });

  test('a chain of 64 diamonds with something not data at its end', () => {
    let value: unknown[] = [() => 1];
    for (let i = 0; i < 64; i++) value = [value, value];
    expect(() => new CloneCheck(256, false).value(value)).toThrow('Malformed value: a clone holds function');
  });

  test('a ring of 150 objects, each holding the same chain of 40 diamonds', () => {
    const chain = diamonds(40);
    const first = ring(150);
    for (let node = first.next as Record<string, unknown>; node !== first; node = node.next as Record<string, unknown>) node.chain = chain;
    expectBoundedWork(first);
  });

  test('an object of 2,000 keys met 20,000 times, between small objects met once', () => {
    // The big object has many entries: recorded when first met, it is walked once.
    const big = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]));
    expectBoundedWork(Array.from({ length: 20_000 }, (_, i) => ((i + 2) % 32 === 0 ? { small: i } : big)));
  });

  test('random messages with long chains, shared parts and cycles, accepted or refused', () => {
    fc.assert(
      fc.property(deepMessages, fc.constantFrom(8, 64, 65, 200), (build, maxDepth) => {
        const weight = build().reduce<number>((sum, value) => sum + realSize(value).weight + 1, 0);
        const check = new CloneCheck(maxDepth, false);
        try {
          for (const value of build()) check.value(value);
        } catch {
          // A refusal costs no more than an answer.
        }
        expect(check.steps).toBeLessThanOrEqual((SMALL + 1) * weight + QUICK_DEPTH * SMALL * SMALL + weight);
      }),
      { numRuns: 500 },
    );
  });

  test('a plain tree is walked once', () => {
    const tree = Array.from({ length: 1_000 }, (_, i) => ({ i, children: [{ i }, [i, [i]]] }));
    expectBoundedWork(tree);
    const check = new CloneCheck(256, false);
    expect(sameShape([tree], [check.value(tree)])).toBe(true);
    const { weight, objects } = realSize(tree);
    // One step per reference: each object's slots, once.
    expect(check.steps).toBe(weight - objects);
  });
});
