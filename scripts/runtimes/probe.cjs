'use strict';
/**
 * Finalizer-order probes, one per process (`<runtime> probe.cjs <name>`), so that a crash is pinned
 * on one scenario instead of taking the whole suite with it. Prints `PROBE ok <name>` on success.
 * Both scenarios are ordinary public-API use that leaves a value's finalizer pending after the
 * native side has already let go of its record.
 */
const path = require('node:path');
const { resolveGC } = require('./env.cjs');

const weakwire = require(path.join(__dirname, '..', '..'));
const { gc } = resolveGC();
const turn = () => new Promise((resolve) => setTimeout(resolve, 10));

const probes = {
  /** The map and all its values become garbage at once and are collected in the same GC. */
  'map-collected-with-values': async () => {
    (() => {
      const map = new weakwire.IDWeakMap();
      for (let i = 0; i < 200; i++) map.set(i, { i });
    })();
    for (let round = 0; round < 5; round++) {
      gc();
      await turn();
    }
  },
  /**
   * get() of values that were collected but whose finalizers have not run yet. A WeakRef per
   * value says which were collected (JavaScriptCore scans the stack conservatively, so a few may
   * survive the collection, and get() must then return them); made a turn before the collection,
   * since a WeakRef keeps its target alive until the job that made it ends.
   */
  'get-after-collection': async () => {
    const map = new weakwire.IDWeakMap();
    const refs = (() => {
      const made = [];
      for (let i = 0; i < 200; i++) {
        const value = { i };
        map.set(i, value);
        made.push(new WeakRef(value));
      }
      return made;
    })();
    await turn();
    gc(); // most values die; their finalizers are still pending
    let collected = 0;
    for (let i = 0; i < 200; i++) {
      const alive = refs[i].deref();
      if (alive === undefined) collected++;
      if (map.get(i) !== alive) throw new Error(`get(${i}) returned ${alive === undefined ? 'a collected value' : 'another value'}`);
    }
    if (collected < 100) throw new Error(`only ${collected} of 200 values were collected: the probe proved nothing`);
    for (let round = 0; round < 5; round++) {
      gc();
      await turn();
    }
  },
  /**
   * cancel() of destructors whose targets died but whose finalizers have not run, then new
   * registrations (which reuse the freed slots): no destructor of a live target may fire.
   */
  'cancel-after-collection-then-reuse': async () => {
    const cancels = [];
    (() => {
      for (let i = 0; i < 200; i++) cancels.push(weakwire.setDestructor({ i }, () => undefined));
    })();
    gc(); // the targets die; their finalizers are still pending
    for (const cancel of cancels) cancel();
    const live = [];
    let fired = 0;
    for (let i = 0; i < 200; i++) {
      const target = { live: i };
      live.push(target);
      weakwire.setDestructor(target, () => fired++);
    }
    for (let round = 0; round < 5; round++) {
      gc();
      await turn();
    }
    if (fired > 0) throw new Error(`${fired} of ${live.length} destructors fired for live targets`);
  },
  /**
   * cancel() while the targets live, new registrations (which reuse the slots), then the old
   * targets die: their finalizers still come, and must not fire the newer registrations.
   */
  'cancel-while-alive-then-reuse': async () => {
    let old = Array.from({ length: 200 }, (_, i) => ({ i }));
    for (const target of old) weakwire.setDestructor(target, () => undefined)();
    let witness = false;
    weakwire.setDestructor(old[0], () => (witness = true));
    const live = [];
    let fired = 0;
    for (let i = 0; i < 200; i++) {
      const target = { live: i };
      live.push(target);
      weakwire.setDestructor(target, () => fired++);
    }
    old = null;
    for (let round = 0; round < 20 && !witness; round++) {
      gc();
      await turn();
    }
    if (!witness) throw new Error('the old targets were not collected');
    if (fired > 0) throw new Error(`${fired} of ${live.length} destructors fired for live targets`);
  },
  /** Entries deleted and overwritten while their values live, then the environment ends. */
  'map-released-then-exit': async () => {
    const map = new weakwire.IDWeakMap();
    const values = Array.from({ length: 200 }, (_, i) => ({ i }));
    values.forEach((value, i) => map.set(i, value));
    for (let i = 0; i < 100; i++) map.delete(i);
    for (let i = 100; i < 200; i++) map.set(i, { replaced: i });
    globalThis.keptValues = values;
    gc();
    await turn();
  },
};

const name = process.argv[2];
if (!probes[name]) {
  console.error(`unknown probe ${name}; known: ${Object.keys(probes).join(', ')}`);
  process.exit(2);
}
probes[name]().then(
  () => {
    console.log(`PROBE ok ${name}`);
    process.exit(0);
  },
  (error) => {
    console.log(`PROBE fail ${name}: ${error && error.message}`);
    process.exit(1);
  },
);
