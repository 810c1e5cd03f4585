import { BACKENDS } from './backends';
import * as nativeApi from '../../src/ts';
import { binding } from '../../src/ts/binding';
import { destructorBatchProven } from '../gc_proof';
import { prng } from '../helpers/prng';
import { forceGC, gcUntil } from '../../src/ts/testing';
import { nextTurn } from '../../src/ts/testing/gc';

describe.each(BACKENDS)('%s backend', (_backend, { setDestructor, stats, IDWeakMap }) => {
  // Allocates in a separate frame so nothing on the test's stack keeps the objects alive.
  function registerGarbage<H>(count: number, callback: (held: H) => void, held: (i: number) => H) {
    const cancels: Array<() => boolean> = [];
    for (let i = 0; i < count; i++) cancels.push(setDestructor({ i }, callback, held(i)));
    return cancels;
  }

  async function settledStats() {
    await gcUntil(() => stats().trackedObjects === 0 && stats().pendingCallbacks === 0);
    return stats();
  }

  describe('setDestructor', () => {
    afterEach(async () => {
      await settledStats();
    });

    test('calls the callback with the held value after the target is collected', async () => {
      const calls: unknown[] = [];
      registerGarbage(1, (held) => calls.push(held), () => 'held-value');
      await gcUntil(() => calls.length === 1);
      expect(calls).toEqual(['held-value']);
    });

    test('passes undefined when no held value is given', async () => {
      const calls: unknown[] = [];
      (() => {
        setDestructor({}, (held) => calls.push(held));
      })();
      await gcUntil(() => calls.length === 1);
      expect(calls).toEqual([undefined]);
    });

    test('never calls the callback while the target is alive', async () => {
      const target = { alive: true };
      let called = false;
      const cancel = setDestructor(target, () => {
        called = true;
      });
      await destructorBatchProven(setDestructor);
      expect(called).toBe(false);
      expect(stats().trackedObjects).toBe(1);
      expect(cancel()).toBe(true);
      expect(target.alive).toBe(true);
    });

    test('runs the callback on a later event-loop turn, not inside gc()', async () => {
      let called = false;
      const ref = (() => {
        const target = {};
        setDestructor(target, () => (called = true));
        return new WeakRef(target);
      })();
      await nextTurn(); // a WeakRef made in a job keeps its target alive until the job ends
      forceGC();
      expect(ref.deref()).toBeUndefined(); // the collection did free the target
      expect(called).toBe(false);
      await gcUntil(() => called);
    });

    test('100,000 targets: every callback runs exactly once and stats() returns to zero', async () => {
      const count = 100_000;
      const runs = new Uint8Array(count);
      registerGarbage(count, (i: number) => runs[i]++, (i) => i);
      expect(stats().trackedObjects).toBe(count);
      await gcUntil(() => runs.every((n) => n === 1), { attempts: 200 });
      // A second run of any of them would have been delivered by the time a later death is.
      await destructorBatchProven(setDestructor);
      expect(runs.every((n) => n === 1)).toBe(true);
      expect(await settledStats()).toEqual({ trackedObjects: 0, pendingCallbacks: 0, mapEntries: 0 });
    });

    test('delivers callbacks in batches: one native-to-JS call runs many callbacks', async () => {
      // Microtasks run after every native-to-JS call; callbacks that share a call share a batch.
      const batchSizes: number[] = [];
      let current = 0;
      const onDeath = () => {
        if (current++ === 0) {
          queueMicrotask(() => {
            batchSizes.push(current);
            current = 0;
          });
        }
      };
      registerGarbage(10_000, onDeath, () => undefined);
      await gcUntil(() => batchSizes.reduce((a, b) => a + b, 0) === 10_000);
      expect(batchSizes.length).toBeLessThanOrEqual(10);
    });

    test('several destructors on one object each run exactly once', async () => {
      const calls: string[] = [];
      (() => {
        const target = {};
        setDestructor(target, (name) => calls.push(name), 'a');
        setDestructor(target, (name) => calls.push(name), 'b');
        setDestructor(target, (name) => calls.push(name), 'c');
      })();
      await gcUntil(() => calls.length === 3);
      await destructorBatchProven(setDestructor);
      expect(calls.sort()).toEqual(['a', 'b', 'c']);
    });

    test('the same callback function registered for many targets runs once per target', async () => {
      const seen: number[] = [];
      const shared = (i: number) => seen.push(i);
      registerGarbage(50, shared, (i) => i);
      await gcUntil(() => seen.length === 50);
      expect(new Set(seen).size).toBe(50);
    });

    test('functions can be targets', async () => {
      let called = false;
      (() => {
        setDestructor(() => 1, () => (called = true));
      })();
      await gcUntil(() => called);
    });

    test('a callback that does not capture the target does not keep it alive', async () => {
      let ran = false;
      let ref: WeakRef<object> | undefined;
      (() => {
        const target = {};
        ref = new WeakRef(target);
        setDestructor(target, () => (ran = true));
      })();
      await gcUntil(() => ran);
      expect(ref!.deref()).toBeUndefined();
    });

    test('a callback closure that captures the target keeps it alive (documented; use held)', async () => {
      let ran = false;
      let ref: WeakRef<object> | undefined;
      const cancel = (() => {
        const target = { name: 'captured' };
        ref = new WeakRef(target);
        return setDestructor(target, () => {
          ran = target.name === 'captured';
        });
      })();
      await destructorBatchProven(setDestructor);
      expect(ran).toBe(false);
      expect(ref!.deref()).toBeDefined();
      expect(cancel()).toBe(true);
    });

    test('lets go of a callback once its last registration has run', async () => {
      const released: string[] = [];
      let ran = 0;
      (() => {
        const callback = () => ran++;
        // Registered first, so it can become the callback its registrations share.
        registerGarbage(3, callback, () => undefined);
        setDestructor(callback, (name) => released.push(name), 'callback');
      })();
      await gcUntil(() => released.length === 1);
      expect(ran).toBe(3);
    });

    test('the held value stays alive until the callback received it', async () => {
      let received: { payload: string } | undefined;
      registerGarbage(1, (held: { payload: string }) => (received = held), () => ({ payload: 'kept' }));
      await gcUntil(() => received !== undefined);
      expect(received).toEqual({ payload: 'kept' });
    });
  });

  describe('cancel()', () => {
    afterEach(async () => {
      await settledStats();
    });

    test('returns true while pending, and the callback never runs', async () => {
      let called = false;
      let witnessRan = false;
      const cancel = (() => {
        const target = {};
        // A second destructor on the same target proves it died and its batch ran.
        setDestructor(target, () => (witnessRan = true));
        return setDestructor(target, () => (called = true));
      })();
      expect(cancel()).toBe(true);
      await gcUntil(() => witnessRan);
      expect(called).toBe(false);
    });

    test('takes the registration out of stats() at once, while the target lives on', () => {
      const target = {};
      const before = stats().trackedObjects;
      const cancel = setDestructor(target, () => {});
      expect(stats().trackedObjects).toBe(before + 1);
      cancel();
      expect(stats().trackedObjects).toBe(before);
    });

    test('releases the callback and the held value at once, while the target lives on', async () => {
      const target = { alive: true };
      const released: string[] = [];
      const cancel = (() => {
        const held = { big: 'held' };
        const callback = () => {};
        // Not WeakRefs: reading one keeps its target alive until the end of the job.
        setDestructor(held, (name) => released.push(name), 'held');
        setDestructor(callback, (name) => released.push(name), 'callback');
        return setDestructor(target, callback, held);
      })();
      expect(cancel()).toBe(true);
      await gcUntil(() => released.length === 2);
      expect(released.sort()).toEqual(['callback', 'held']);
      expect(target.alive).toBe(true);
    });

    test('a cancelled registration whose target dies later never runs, nor runs what took its slot', async () => {
      // The finalizer of a cancelled registration stays with its target (Node-API cannot remove a
      // finalizer added without a reference) and fires when the target dies, long after the slot
      // was reused: it must find a newer generation there and do nothing.
      const calls: string[] = [];
      let witnessed = 0;
      const witness = () => witnessed++;
      const newer: object[] = [];
      (() => {
        const old = Array.from({ length: 100 }, (_, i) => ({ old: i }));
        for (const target of old) setDestructor(target, () => calls.push('old'), 'old')();
        // A second destructor on each old target proves the old targets' finalizers have run.
        for (const target of old) setDestructor(target, witness);
        // These take the slots the cancelled registrations freed.
        for (let i = 0; i < 100; i++) {
          const target = { newer: i };
          newer.push(target);
          setDestructor(target, (name) => calls.push(name), `newer ${i}`);
        }
      })();
      await gcUntil(() => witnessed === 100);
      await destructorBatchProven(setDestructor);
      expect(calls).toEqual([]);
      expect(stats().trackedObjects).toBeGreaterThanOrEqual(100);
      newer.length = 0;
      await gcUntil(() => calls.length === 100);
      expect(new Set(calls).size).toBe(100);
    });

    test('returns false the second time', () => {
      const cancel = setDestructor({}, () => {});
      expect(cancel()).toBe(true);
      expect(cancel()).toBe(false);
    });

    test('returns false after the callback ran', async () => {
      let called = false;
      const [cancel] = registerGarbage(1, () => (called = true), () => undefined);
      await gcUntil(() => called);
      expect(cancel()).toBe(false);
    });

    test('after collection but before the callback ran, cancel wins and returns true', async () => {
      let called = false;
      const [cancel] = registerGarbage(1, () => (called = true), () => undefined);
      // Collect and let the finalizer record the death (it runs in the check phase), then cancel
      // right there, before the loop's next poll phase delivers the batch.
      for (let round = 0; round < 20 && stats().pendingCallbacks === 0 && !called; round++) {
        forceGC();
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(called).toBe(false);
      expect(stats().pendingCallbacks).toBe(1);
      expect(cancel()).toBe(true);
      expect(stats().pendingCallbacks).toBe(0);
      await destructorBatchProven(setDestructor);
      expect(called).toBe(false);
    });

    test('a stale cancel does not cancel a newer registration that reused its slot', async () => {
      let firstRan = false;
      const [staleCancel] = registerGarbage(1, () => (firstRan = true), () => undefined);
      await gcUntil(() => firstRan);
      const calls: string[] = [];
      registerGarbage(20, (name: string) => calls.push(name), (i) => `new-${i}`);
      expect(staleCancel()).toBe(false);
      await gcUntil(() => calls.length === 20);
    });

    test('when every registration of a page was cancelled, its slots are taken again and the old cancel functions stay harmless', async () => {
      // More than a page (4,096 slots), all cancelled at once while their targets live: the pages
      // start over, and the next registrations take the same slots.
      const kept = Array.from({ length: 5000 }, (_, i) => ({ i }));
      const oldCalls: number[] = [];
      const oldCancels = kept.map((target, i) => setDestructor(target, (n: number) => oldCalls.push(n), i));
      expect(oldCancels.every((cancel) => cancel())).toBe(true);
      const calls: string[] = [];
      registerGarbage(5000, (name: string) => calls.push(name), (i) => `new-${i}`);
      expect(oldCancels.some((cancel) => cancel())).toBe(false);
      await gcUntil(() => calls.length === 5000);
      expect(new Set(calls).size).toBe(5000);
      expect(oldCalls).toEqual([]);
      expect(kept).toHaveLength(5000);
    });

    test('slots freed by cancels and by callbacks are taken again, over several pages, without touching live registrations', async () => {
      // Registrations live in pages of 4,096 slots; each round registers more than a page's worth,
      // then cancels a third of what is live and lets another third die, so the next rounds take
      // freed slots of both kinds in a random order, beside slots still in use.
      const random = prng(0x5107);
      const ran = new Map<number, number>();
      const onDeath = (id: number) => ran.set(id, (ran.get(id) ?? 0) + 1);
      const live = new Map<number, { target: object | undefined; cancel: () => boolean }>();
      const died: number[] = [];
      const cancelled: number[] = [];
      let next = 0;
      // Both in frames of their own, so nothing on the test's stack keeps a target alive.
      const registerMore = () => {
        for (let i = 0; i < 6000; i++) {
          const id = next++;
          const target = { id };
          live.set(id, { target, cancel: setDestructor(target, onDeath, id) });
        }
      };
      const cancelOrDrop = (share: number) => {
        for (const [id, entry] of live) {
          const action = random();
          if (action < share) {
            expect(entry.cancel()).toBe(true);
            cancelled.push(id);
          } else if (action < 2 * share) {
            entry.target = undefined;
            died.push(id);
          } else {
            continue;
          }
          live.delete(id);
        }
      };
      for (let round = 0; round < 3; round++) {
        registerMore();
        cancelOrDrop(1 / 3);
        await gcUntil(() => ran.size === died.length);
      }
      // Last, every registration left is cancelled or dies.
      cancelOrDrop(0.5);
      await gcUntil(() => ran.size === died.length);
      // A repeated or cancelled callback would have been delivered by the time a later death is.
      await destructorBatchProven(setDestructor);
      expect(died.filter((id) => ran.get(id) !== 1)).toEqual([]);
      expect(cancelled.filter((id) => ran.has(id))).toEqual([]);
      expect(ran.size).toBe(died.length);
    });
  });

  describe('stats()', () => {
    afterEach(async () => {
      await settledStats();
    });

    test('called from a callback, counts the callbacks of its batch still to run', async () => {
      const seen: number[] = [];
      registerGarbage(10, () => seen.push(stats().pendingCallbacks), () => undefined);
      await gcUntil(() => seen.length === 10);
      // The callbacks run in one batch (or a few, if some targets died in an earlier collection):
      // within a batch the count falls by one with each callback, down to 0 at its last.
      expect(seen[seen.length - 1]).toBe(0);
      for (let i = 1; i < seen.length; i++) {
        if (seen[i - 1] !== 0) expect(seen[i]).toBe(seen[i - 1] - 1);
      }
    });

    test('called from callbacks of a collection larger than one batch, counts exactly the callbacks still to run', async () => {
      // 70,000 deaths: more than one native batch (65,536 pairs) and many pages of the native
      // queue, so the pairs counted behind the batch in flight start pages after the queue's head.
      const count = 70_000;
      const samples: Array<{ ran: number; pendingCallbacks: number; trackedObjects: number }> = [];
      let ran = 0;
      const onDeath = () => {
        ran++;
        // stats() walks every registration: sampled, or the test would be quadratic.
        if (ran % 4999 === 1) {
          const { pendingCallbacks, trackedObjects } = stats();
          samples.push({ ran, pendingCallbacks, trackedObjects });
        }
      };
      // Every target stays reachable until all are registered, so they die together.
      (() => {
        const targets = Array.from({ length: count }, (_, i) => ({ i }));
        for (const target of targets) setDestructor(target, onDeath);
      })();
      await gcUntil(() => ran === count, { attempts: 200 });
      expect(samples.length).toBe(Math.ceil(count / 4999));
      // One collection kills every target before the first callback runs, so each sample sees
      // all of them dead and its own callback already counted out.
      for (const sample of samples) {
        expect(sample).toEqual({ ran: sample.ran, pendingCallbacks: count - sample.ran, trackedObjects: 0 });
      }
    });

    test('registrations with different callbacks and held values each get their own (seeded model)', async () => {
      // A random mix of shared callbacks, fresh closures, held values and none, cancels and deaths,
      // against a model: every callback that ran got its own registration's held value, once.
      const random = prng(0xd1e);
      const shared = [(held: unknown) => ran.push(['a', held]), (held: unknown) => ran.push(['b', held])];
      const ran: Array<[string, unknown]> = [];
      const expected: Array<[string, unknown]> = [];
      const live: Array<{ target: object | undefined; cancel: () => boolean; result: [string, unknown] }> = [];
      for (let step = 0; step < 3000; step++) {
        const action = random();
        if (action < 0.6 || live.length === 0) {
          const id = `r${step}`;
          const choice = Math.floor(random() * 4);
          const withHeld = random() < 0.5;
          const held = withHeld ? { id } : undefined;
          const name = choice < 2 ? (choice === 0 ? 'a' : 'b') : `own ${id}`;
          const callback =
            choice < 2 ? shared[choice] : (h: unknown) => ran.push([name, h === undefined ? undefined : h]);
          const target = {};
          live.push({ target, cancel: setDestructor(target, callback, held), result: [name, held] });
        } else {
          const [entry] = live.splice(Math.floor(random() * live.length), 1);
          if (action < 0.8) {
            expect(entry.cancel()).toBe(true);
          } else {
            expected.push(entry.result);
            entry.target = undefined;
          }
        }
      }
      const key = ([name, held]: [string, unknown]) => `${name}:${(held as { id?: string } | undefined)?.id}`;
      await gcUntil(() => ran.length === expected.length);
      // A cancelled or repeated callback would have been delivered by the time a later death is.
      await destructorBatchProven(setDestructor);
      expect(ran.map(key).sort()).toEqual(expected.map(key).sort());
      for (const entry of live) expect(entry.cancel()).toBe(true);
    });
  });

  describe('re-entrancy: callbacks may use the API', () => {
    afterEach(async () => {
      await settledStats();
    });

    test('a callback can register a new destructor that later runs', async () => {
      const log: string[] = [];
      registerGarbage(1, () => {
        log.push('first');
        setDestructor({}, () => log.push('second'));
      }, () => undefined);
      await gcUntil(() => log.length === 2);
      expect(log).toEqual(['first', 'second']);
    });

    test('a callback can cancel another pending destructor of the same batch', async () => {
      const ran: number[] = [];
      const cancels: Array<() => boolean> = [];
      const cancelledResults: boolean[] = [];
      cancels.push(
        ...registerGarbage(
          200,
          (i: number) => {
            ran.push(i);
            // Each callback cancels every other registration it finds still pending.
            for (const cancel of cancels) {
              if (cancel()) cancelledResults.push(true);
            }
          },
          (i) => i,
        ),
      );
      await gcUntil(() => ran.length >= 1 && stats().pendingCallbacks === 0 && stats().trackedObjects === 0);
      await destructorBatchProven(setDestructor);
      expect(ran.length + cancelledResults.length).toBe(200);
      expect(ran.length).toBeGreaterThanOrEqual(1);
    });

    test('a callback can use an IDWeakMap', async () => {
      const map = new IDWeakMap<number, object>();
      const kept = { kept: true };
      let seen: object | undefined;
      registerGarbage(1, () => {
        map.set(1, kept);
        seen = map.get(1);
        map.delete(1);
      }, () => undefined);
      await gcUntil(() => seen !== undefined);
      expect(seen).toBe(kept);
      expect(map.size).toBe(0);
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['a number target', () => setDestructor(42 as never, () => {}), /target must be an object or a function; got number 42/],
      ['a null target', () => setDestructor(null as never, () => {}), /target must be an object or a function; got null/],
      ['a string target', () => setDestructor('x' as never, () => {}), /target must be an object or a function; got string/],
      ['a symbol target', () => setDestructor(Symbol('s') as never, () => {}), /target must be an object or a function; got symbol/],
      ['an undefined target', () => (setDestructor as (...a: unknown[]) => unknown)(), /target must be an object or a function; got undefined/],
      ['a missing callback', () => (setDestructor as (...a: unknown[]) => unknown)({}), /callback must be a function; got undefined/],
      ['a non-function callback', () => setDestructor({}, 'nope' as never), /callback must be a function; got string/],
      ['an object callback', () => setDestructor({}, {} as never), /callback must be a function; got an object/],
    ];

    test.each(cases)('%s throws a TypeError naming the argument and registers nothing', (_name, call, message) => {
      const before = stats();
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
      expect(stats()).toEqual(before);
    });
  });
});

describe('the native binding', () => {
  test('exposes nothing detachable: transferring any buffer it has leaves registration and cancel working', () => {
    const isBuffer = (value: unknown) =>
      ArrayBuffer.isView(value) || Object.prototype.toString.call(value) === '[object ArrayBuffer]';
    // Its properties are not enumerable: list them all.
    const buffers = Reflect.ownKeys(binding)
      .map((key) => Reflect.get(binding, key) as unknown)
      .filter(isBuffer);
    for (const found of buffers) {
      const buffer = ArrayBuffer.isView(found) ? found.buffer : (found as ArrayBuffer);
      structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
    }
    const cancel = nativeApi.setDestructor({}, () => {});
    expect(cancel()).toBe(true);
    expect(buffers).toEqual([]);
  });
});
