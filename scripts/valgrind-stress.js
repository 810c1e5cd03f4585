#!/usr/bin/env node
// A focused stress of every native path, small enough for valgrind's memcheck (run it through
// `npm run test:valgrind`, i.e. scripts/valgrind-run.js). Plain Node runs it in about a second.
//
// It ends with nothing of ours left alive, so any weakwire allocation still unfreed at exit
// is a leak, not a live record.
'use strict';
const { join } = require('node:path');
const { Worker } = require('node:worker_threads');
const { once } = require('node:events');

const dist = join(__dirname, '..', 'dist');
const { setDestructor, IDWeakMap, stats } = require(dist);
require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');

const scale = Number(process.env.WEAKWIRE_STRESS_SCALE || 1);
const noop = () => {};
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(label) {
  for (let round = 0; round < 200; round++) {
    const s = stats();
    if (s.trackedObjects === 0 && s.pendingCallbacks === 0 && s.mapEntries === 0) return;
    gc();
    await turn();
    await sleep(round < 5 ? 0 : 5);
  }
  throw new Error(`${label}: stats() not back to zero: ${JSON.stringify(stats())}`);
}

async function destructors() {
  let ran = 0;
  const count = 5000 * scale;
  (() => {
    for (let i = 0; i < count; i++) setDestructor({ i }, () => ran++, i);
  })();
  await settle('destructors');
  if (ran !== count) throw new Error(`destructors: ${ran} of ${count} ran`);
}

async function cancels() {
  const kept = [];
  const cancelFns = [];
  (() => {
    for (let i = 0; i < 3000 * scale; i++) {
      const target = { i };
      if (i % 3 === 0) kept.push(target);
      cancelFns.push(setDestructor(target, noop, i));
    }
  })();
  // Cancel while tracking, right after collection (queued), and from inside callbacks.
  cancelFns.slice(0, 500).forEach((cancel) => cancel());
  gc();
  cancelFns.slice(500, 1000).forEach((cancel) => cancel());
  (() => {
    for (let i = 0; i < 500; i++) {
      setDestructor({}, (n) => {
        cancelFns[1000 + n]();
        setDestructor({}, noop); // reuses the slot just freed
      }, i);
    }
  })();
  await turn();
  cancelFns.forEach((cancel) => cancel());
  kept.length = 0;
  await settle('cancels');
}

async function maps() {
  const values = [];
  (() => {
    for (let m = 0; m < 20; m++) {
      const map = new IDWeakMap();
      for (let i = 0; i < 300 * scale; i++) {
        const value = { i };
        if (i % 2 === 0) values.push(value);
        map.set(i % 3 === 0 ? `k${i}` : i, value);
      }
      for (let i = 0; i < 50; i++) map.set(i, { overwrite: i }); // overwrite
      for (let i = 50; i < 100; i++) map.delete(i);
      if (m % 4 === 0) map.clear();
      map.size; // prunes dead cells
      [...map.keys()];
    }
  })();
  // The maps are garbage while half their values live: collect the maps first...
  gc();
  await turn();
  // ...then the values, whose finalizers the maps removed.
  values.length = 0;
  await settle('maps');
}

async function mapBeforeFinalizers() {
  let values = Array.from({ length: 2000 * scale }, (_, i) => ({ i }));
  let map = new IDWeakMap();
  values.forEach((v, i) => map.set(i, v));
  values = null;
  gc(); // the values' finalizers are due...
  map = null;
  gc(); // ...when the map goes
  await settle('map before finalizers');
}

async function workers() {
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { setDestructor, IDWeakMap } = require(workerData.dist);
    require('node:v8').setFlagsFromString('--expose-gc');
    const collect = require('node:vm').runInNewContext('gc');
    const live = [];
    const map = new IDWeakMap();
    for (let i = 0; i < 500; i++) {
      const o = { i };
      if (i % 2) live.push(o);
      map.set(i, o);
      setDestructor(o, () => {}, i);
    }
    collect();
    parentPort.postMessage('ready');
    setInterval(() => map.set('tick', {}), 1);`;
  for (let round = 0; round < 2; round++) {
    const worker = new Worker(source, { eval: true, workerData: { dist } });
    await once(worker, 'message');
    await worker.terminate();
  }
}

async function main() {
  const steps = { destructors, cancels, maps, mapBeforeFinalizers, workers };
  for (const [name, step] of Object.entries(steps)) {
    const started = Date.now();
    await step();
    console.log(`[stress] ${name}: ok (${Date.now() - started} ms) ${JSON.stringify(stats())}`);
  }
  await settle('end');
  console.log('[stress] done');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
