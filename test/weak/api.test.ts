import { EventEmitter } from 'node:events';

import weak = require('../../src/ts/weak');
import { setDestructor, stats } from '../../src/ts';
import { forceGC, gcUntil } from '../../src/ts/testing';
import { destructorBatchProven } from '../gc_proof';

// Targets are made inside helpers so that no frame of the test keeps them alive.
// Callbacks are delivered by setDestructor's batches: where a test asserts that one did NOT run,
// destructorBatchProven shows that a later death's batch has been delivered.
function refToGarbage(callback?: weak.Callback): weak.WeakRef<{ garbage: boolean }> {
  return weak({ garbage: true }, callback);
}

const allZero = (): boolean => {
  const { trackedObjects, pendingCallbacks, mapEntries } = stats();
  return trackedObjects === 0 && pendingCallbacks === 0 && mapEntries === 0;
};

afterEach(async () => {
  await gcUntil(allZero);
});

describe('the module', () => {
  test('is a function, and weak.create (and node-weak\'s weaken) is that same function', () => {
    expect(typeof weak).toBe('function');
    expect(weak.create).toBe(weak);
    expect(weak.weaken).toBe(weak);
  });

  test('has every weak-napi helper and node-weak\'s aliases', () => {
    for (const name of [
      'get', 'isDead', 'isNearDeath', 'isWeakRef', 'callbacks', 'addCallback', 'removeCallback', 'removeCallbacks',
    ] as const) {
      expect(typeof weak[name]).toBe('function');
    }
    expect(weak.addListener).toBe(weak.addCallback);
    expect(weak.removeListener).toBe(weak.removeCallback);
    expect(weak.removeListeners).toBe(weak.removeCallbacks);
    expect(weak.listeners).toBe(weak.callbacks);
  });
});

describe('weak(target, callback?)', () => {
  test('accepts every kind of object and function', () => {
    const targets: object[] = [
      {}, [], () => 1, function named() {}, class {}, /re/, new Date(), Buffer.alloc(1), new ArrayBuffer(8),
      new Int32Array(2), Promise.resolve(), new Map(), new WeakMap(), Object.create(null), Object.freeze({}),
    ];
    for (const target of targets) {
      const ref = weak(target);
      expect(weak.isWeakRef(ref)).toBe(true);
      expect(weak.get(ref)).toBe(target);
    }
  });

  test('a weak reference to a weak reference is a new reference to the proxy', () => {
    const target = {};
    const ref = weak(target);
    const refRef = weak(ref);
    expect(weak.get(refRef)).toBe(ref);
    expect(weak.get(weak.get(refRef)!)).toBe(target);
  });

  test.each([
    [0, 'number 0'], [1.5, 'number 1.5'], [true, 'boolean true'], [null, 'null'], [undefined, 'undefined'],
    ['foo', 'a string'], [Symbol('s'), 'symbol'], [10n, 'bigint 10'],
  ])('throws a TypeError naming the target for %p', (value, described) => {
    expect(() => weak(value as unknown as object)).toThrow(
      new TypeError(`weak: target must be an object or a function; got ${described}`),
    );
  });

  test('throws a TypeError naming the callback when it is not a function, undefined or null', () => {
    expect(() => weak({}, 'nope' as unknown as weak.Callback)).toThrow(
      new TypeError('weak.create: callback must be a function; got a string'),
    );
    expect(weak.callbacks(weak({}, null))).toEqual([]);
    expect(weak.callbacks(weak({}, undefined))).toEqual([]);
  });

  test('each call makes a distinct reference with its own callbacks', () => {
    const target = {};
    const first = weak(target, () => undefined);
    const second = weak(target);
    expect(first).not.toBe(second);
    expect(weak.callbacks(first)).toHaveLength(1);
    expect(weak.callbacks(second)).toHaveLength(0);
  });

  test('the reference does not keep its target alive', async () => {
    const ref = refToGarbage();
    await gcUntil(() => weak.isDead(ref));
    expect(weak.get(ref)).toBeUndefined();
  });

  test('the target is dead right after a synchronous gc(), as with weak-napi (no WeakRef job hold)', () => {
    const ref = refToGarbage();
    expect(ref.garbage).toBe(true); // a read through the reference must not pin the target either
    forceGC();
    expect(weak.isDead(ref)).toBe(true);
  });
});

describe('weak.get / weak.isDead / weak.isWeakRef / weak.isNearDeath', () => {
  test('get returns the very target while it lives, isDead is false', () => {
    const target = { a: 1 };
    const ref = weak(target);
    expect(weak.get(ref)).toBe(target);
    expect(weak.isDead(ref)).toBe(false);
  });

  test('after collection get returns undefined and isDead is true', async () => {
    const ref = refToGarbage();
    await gcUntil(() => weak.isDead(ref));
    expect(weak.get(ref)).toBeUndefined();
  });

  test('isWeakRef is true for references only, and false (never throws) for anything else', () => {
    const target = {};
    expect(weak.isWeakRef(weak(target))).toBe(true);
    for (const value of [target, {}, [], null, undefined, 0, 'ref', Symbol('ref'), new Proxy({}, {})]) {
      expect(weak.isWeakRef(value)).toBe(false);
    }
  });

  test('isWeakRef stays true after the target died', async () => {
    const ref = refToGarbage();
    await gcUntil(() => weak.isDead(ref));
    expect(weak.isWeakRef(ref)).toBe(true);
  });

  test('isNearDeath is always false, whatever it is given (as in weak-napi)', () => {
    expect(weak.isNearDeath(weak({}))).toBe(false);
    expect(weak.isNearDeath('whatever')).toBe(false);
    expect(weak.isNearDeath()).toBe(false);
  });

  test.each(['get', 'isDead', 'callbacks', 'removeCallbacks'] as const)(
    '%s throws a TypeError naming ref for non-references',
    (name) => {
      const fn = weak[name] as (ref: unknown) => unknown;
      expect(() => fn(42)).toThrow(new TypeError(`weak.${name}: ref must be a weak reference made by weak(); got number 42`));
      expect(() => fn(null)).toThrow(new TypeError(`weak.${name}: ref must be a weak reference made by weak(); got null`));
      expect(() => fn({})).toThrow(
        new TypeError(`weak.${name}: ref must be a weak reference made by weak(); got an object that is not one`),
      );
    },
  );

  test.each(['addCallback', 'removeCallback'] as const)('%s throws a TypeError naming ref, then callback', (name) => {
    const fn = weak[name] as (ref: unknown, callback: unknown) => unknown;
    expect(() => fn(undefined, () => undefined)).toThrow(
      new TypeError(`weak.${name}: ref must be a weak reference made by weak(); got undefined`),
    );
    expect(() => fn(weak({}), 7)).toThrow(new TypeError(`weak.${name}: callback must be a function; got number 7`));
  });
});

describe('callbacks', () => {
  test('run once on the event loop after collection, with no arguments and the EventEmitter as this', async () => {
    const calls: Array<{ self: unknown; args: unknown[] }> = [];
    const ref = refToGarbage(function (this: EventEmitter, ...args: unknown[]) {
      calls.push({ self: this, args });
    });
    const emitter = weak.addCallback(ref, () => undefined);
    await gcUntil(() => calls.length === 1);
    expect(calls[0].self).toBe(emitter);
    expect(calls[0].self).toBeInstanceOf(EventEmitter);
    expect(calls[0].args).toEqual([]);
    await destructorBatchProven(setDestructor);
    expect(calls).toHaveLength(1);
  });

  test('all callbacks of a reference run, in the order added, each exactly once', async () => {
    const order: string[] = [];
    const ref = refToGarbage(() => order.push('create'));
    weak.addCallback(ref, () => order.push('first'));
    weak.addCallback(ref, () => order.push('second'));
    const twice = (): number => order.push('twice');
    weak.addCallback(ref, twice);
    weak.addCallback(ref, twice);
    await gcUntil(() => order.length === 5);
    await destructorBatchProven(setDestructor);
    expect(order).toEqual(['create', 'first', 'second', 'twice', 'twice']);
  });

  test('callbacks of several references to one target all run', async () => {
    const ran: string[] = [];
    const [one, two] = ((target: object) => [weak(target), weak(target)])({});
    weak.addCallback(one, () => ran.push('one'));
    weak.addCallback(two, () => ran.push('two'));
    await gcUntil(() => ran.length === 2);
    expect(ran.sort()).toEqual(['one', 'two']);
    expect(weak.isDead(one) && weak.isDead(two)).toBe(true);
  });

  test('callbacks run even when the reference itself was dropped before the target died', async () => {
    let ran = 0;
    const holder: { target?: object } = { target: {} };
    weak(holder.target!, () => ran++);
    forceGC(); // collects the dropped proxy, not the target
    expect(ran).toBe(0);
    delete holder.target;
    await gcUntil(() => ran === 1);
  });

  test('no callback runs while the target lives', async () => {
    let ran = 0;
    const target = {};
    weak(target, () => ran++);
    await destructorBatchProven(setDestructor);
    expect(ran).toBe(0);
    expect(weak.isWeakRef(weak(target))).toBe(true); // keeps target reachable until here
  });

  test('callbacks(ref) is a copy of the callbacks in order; changing it changes nothing', () => {
    const a = (): void => undefined;
    const b = (): void => undefined;
    const ref = weak({}, a);
    weak.addCallback(ref, b);
    const list = weak.callbacks(ref);
    expect(Array.isArray(list)).toBe(true);
    expect(list).toEqual([a, b]);
    list.pop();
    expect(weak.callbacks(ref)).toEqual([a, b]);
  });

  test('addCallback, removeCallback and removeCallbacks return the reference\'s EventEmitter', () => {
    const fn = (): void => undefined;
    const ref = weak({});
    const emitter = weak.addCallback(ref, fn);
    expect(emitter).toBeInstanceOf(EventEmitter);
    expect(weak.removeCallback(ref, fn)).toBe(emitter);
    expect(weak.removeCallbacks(ref)).toBe(emitter);
  });

  test('removeCallback removes one registration; the removed callback does not run', async () => {
    const ran: string[] = [];
    const removed = (): number => ran.push('removed');
    const kept = (): number => ran.push('kept');
    const ref = refToGarbage(removed);
    weak.addCallback(ref, kept);
    weak.removeCallback(ref, removed);
    weak.removeCallback(ref, () => undefined); // not registered: no effect
    expect(weak.callbacks(ref)).toEqual([kept]);
    await gcUntil(() => ran.length === 1);
    await destructorBatchProven(setDestructor);
    expect(ran).toEqual(['kept']);
  });

  test('removeCallbacks removes them all; none runs, and nothing stays tracked', async () => {
    let ran = 0;
    const ref = refToGarbage(() => ran++);
    weak.addCallback(ref, () => ran++);
    weak.removeCallbacks(ref);
    expect(weak.callbacks(ref)).toEqual([]);
    await gcUntil(() => weak.isDead(ref));
    await gcUntil(allZero);
    expect(ran).toBe(0);
  });

  test('a callback added after the target died never runs', async () => {
    let ran = 0;
    const ref = refToGarbage();
    await gcUntil(() => weak.isDead(ref));
    weak.addCallback(ref, () => ran++);
    await destructorBatchProven(setDestructor);
    expect(ran).toBe(0);
  });

  test('a callback added through the returned emitter runs too', async () => {
    let ran = 0;
    const ref = refToGarbage();
    weak.removeCallbacks(ref).on('dead', () => ran++);
    await gcUntil(() => ran === 1);
  });

  test('callbacks(ref) still lists the callbacks after they ran (as weak-napi\'s emitter does)', async () => {
    const fn = (): void => undefined;
    const ref = refToGarbage(fn);
    await gcUntil(() => weak.isDead(ref));
    await gcUntil(() => stats().trackedObjects === 0 && stats().pendingCallbacks === 0);
    expect(weak.callbacks(ref)).toEqual([fn]);
  });

  test('more than ten callbacks on one reference print no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): number => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const ref = weak({});
      for (let i = 0; i < 20; i++) weak.addCallback(ref, () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('native records', () => {
  test('a reference without callbacks holds one map entry and no destructor until its target dies', async () => {
    const before = stats();
    const ref = refToGarbage();
    expect(stats().mapEntries).toBe(before.mapEntries + 1);
    expect(stats().trackedObjects).toBe(before.trackedObjects);
    await gcUntil(() => weak.isDead(ref));
    await gcUntil(allZero);
  });

  test('a reference with callbacks holds one destructor however many callbacks it has', () => {
    const before = stats().trackedObjects;
    const target = {};
    const ref = weak(target, () => undefined);
    weak.addCallback(ref, () => undefined);
    weak.addCallback(ref, () => undefined);
    expect(stats().trackedObjects).toBe(before + 1);
  });

  test('every record is released once the targets died and the callbacks ran', async () => {
    let ran = 0;
    const refs = Array.from({ length: 100 }, () => refToGarbage(() => ran++));
    await gcUntil(() => ran === 100);
    await gcUntil(allZero);
    expect(refs.every((ref) => weak.isDead(ref))).toBe(true);
  });
});
