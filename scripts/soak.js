#!/usr/bin/env node
// npm run soak [-- --quick | --seconds N | --warmup N | --simulate-leak]
//
// Churns millions of destructors and IDWeakMap entries with garbage collection in between, and
// prints RSS and stats() over time. Fails (exit 1) if stats() is not back to zero at the end, if
// a destructor ran twice or never, or if RSS keeps climbing after the warm-up.
//
// Default run and --quick (for CI): see scripts/soak-durations.js.
// --simulate-leak keeps one target in ten alive, to show what a failure looks like.
'use strict';
const { join } = require('node:path');
const DURATIONS = require('./soak-durations');

const { setDestructor, IDWeakMap, stats } = require(join(__dirname, '..', 'dist'));
require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');

function parseArgs(argv) {
  const options = { ...DURATIONS.full, simulateLeak: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') Object.assign(options, DURATIONS.quick);
    else if (arg === '--simulate-leak') options.simulateLeak = true;
    else if (arg === '--seconds' || arg === '--warmup') {
      const value = Number(argv[++i]);
      if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${arg} needs a positive number`);
      options[arg.slice(2)] = value;
    } else throw new TypeError(`soak: unknown argument ${arg}`);
  }
  if (options.warmup >= options.seconds) throw new TypeError('soak: --warmup must be less than --seconds');
  return options;
}

const MiB = 1024 * 1024;
const BATCH = 20000;
const WARMUP_ROUNDS = 30;
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Destructor bookkeeping lives in module scope: callbacks created here never see the targets.
const counters = { registered: 0, ran: 0, cancelled: 0, mapSets: 0 };
const ranFor = new Uint8Array(1 << 20); // by id modulo 2^20: catches a destructor run twice
let doubleRuns = 0;
function onDestroyed(id) {
  counters.ran++;
  const slot = id & (ranFor.length - 1);
  if (ranFor[slot] === 1) doubleRuns++;
  ranFor[slot] = 1;
}

const leaked = [];
let nextId = 0;

// One round: BATCH targets with destructors, spread over three maps with overwrites, deletes and
// a clear; some destructors cancelled while tracking, some after collection.
function round(maps, simulateLeak) {
  const cancels = [];
  for (let i = 0; i < BATCH; i++) {
    const id = nextId++;
    const target = { id };
    ranFor[id & (ranFor.length - 1)] = 0;
    const cancel = setDestructor(target, onDestroyed, id);
    counters.registered++;
    if (i % 50 === 0) cancels.push(cancel);
    const map = maps[i % maps.length];
    map.set(i % 7 === 0 ? `s${id % 5000}` : id % 30000, target); // bounded key space: overwrites
    counters.mapSets++;
    if (i % 11 === 0) map.delete(id % 30000);
    if (simulateLeak && i % 10 === 0) leaked.push(target);
  }
  for (let i = 0; i < cancels.length; i += 2) if (cancels[i]()) counters.cancelled++;
  return cancels.slice(1).filter((_, i) => i % 2 === 0);
}

// Collects until stats() is back to zero; gives up after limitMs, or after 2 s without progress.
async function settle(limitMs) {
  const until = Date.now() + limitMs;
  let best = Infinity;
  let bestAt = Date.now();
  for (let round = 0; Date.now() < until && Date.now() - bestAt < 2000; round++) {
    const s = stats();
    const total = s.pendingCallbacks + s.trackedObjects + s.mapEntries;
    if (total === 0) return true;
    if (total < best) {
      best = total;
      bestAt = Date.now();
    }
    gc();
    await turn();
    await sleep(round < 5 ? 0 : 10);
  }
  return false;
}

function theilSen(xs, ys) {
  const slopes = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
  }
  slopes.sort((a, b) => a - b);
  return slopes.length === 0 ? 0 : slopes[slopes.length >> 1];
}

function mb(bytes) {
  return (bytes / MiB).toFixed(1);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const samples = []; // after warm-up: { t, rss }
  let lastPrint = -Infinity;
  let rounds = 0;
  console.log(
    `[soak] ${options.seconds} s (warm-up ${options.warmup} s and ${WARMUP_ROUNDS} rounds), ` +
      `${BATCH} destructors and map entries per round` +
      (options.simulateLeak ? ', SIMULATED LEAK: 10% of targets kept alive' : ''),
  );
  console.log('[soak]     time   destructors   map sets     rss MB   heap MB  tracked/pending/mapEntries');
  while (elapsed() < options.seconds) {
    // Maps die every few rounds too, sometimes before their values.
    const maps = [new IDWeakMap(), new IDWeakMap(), new IDWeakMap()];
    for (let r = 0; r < 5 && elapsed() < options.seconds; r++) {
      const lateCancels = round(maps, options.simulateLeak);
      rounds++;
      gc();
      await turn();
      // Cancel after collection: these race with the destructor batch, and either may win.
      for (const cancel of lateCancels) if (cancel()) counters.cancelled++;
      if (r === 2) maps[0].clear();
      await turn();
      const t = elapsed();
      // Warm-up is over after `warmup` seconds and at least WARMUP_ROUNDS rounds: RSS grows until
      // V8's heap and the native tables reach their working size, however slow the machine.
      if (t >= options.warmup && rounds >= WARMUP_ROUNDS) samples.push({ t, rss: process.memoryUsage().rss });
    }
    gc();
    await turn();
    await sleep(1);
    const t = elapsed();
    const { rss, heapUsed } = process.memoryUsage();
    if (t - lastPrint >= 5 || t >= options.seconds) {
      lastPrint = t;
      const s = stats();
      console.log(
        `[soak] ${t.toFixed(1).padStart(7)}s ${String(counters.ran).padStart(12)} ${String(counters.mapSets).padStart(10)} ` +
          `${mb(rss).padStart(10)} ${mb(heapUsed).padStart(9)}  ${s.trackedObjects}/${s.pendingCallbacks}/${s.mapEntries}`,
      );
    }
  }

  const failures = [];
  const settled = await settle(15000);
  const end = stats();
  if (!settled) failures.push(`stats() not back to zero after settling: ${JSON.stringify(end)}`);
  if (counters.ran + counters.cancelled !== counters.registered && settled) {
    failures.push(
      `${counters.registered} destructors registered, but ${counters.ran} ran and ${counters.cancelled} were cancelled`,
    );
  }
  if (doubleRuns > 0) failures.push(`${doubleRuns} destructors ran twice`);

  // RSS after warm-up: compare the floors of the first and last thirds (garbage and allocator
  // caches only ever inflate a reading), and require a rising robust trend.
  let rssVerdict = 'too few samples after warm-up to judge RSS';
  if (samples.length >= 6) {
    const third = Math.floor(samples.length / 3);
    const first = Math.min(...samples.slice(0, third).map((s) => s.rss));
    const last = Math.min(...samples.slice(-third).map((s) => s.rss));
    const floor = samples.map((_, i) => Math.min(...samples.slice(i).map((s) => s.rss)));
    const slope = theilSen(
      samples.map((s) => s.t),
      floor,
    );
    const allowed = Math.max(16 * MiB, first * 0.1);
    rssVerdict =
      `RSS after warm-up: ${mb(first)} MB -> ${mb(last)} MB (floor of first/last third), ` +
      `trend ${(slope / MiB).toFixed(2)} MB/s, allowed growth ${mb(allowed)} MB`;
    if (last - first > allowed && slope > 0) failures.push(`RSS keeps climbing: ${rssVerdict}`);
  } else {
    failures.push(rssVerdict);
  }

  console.log(
    `[soak] ${rounds} rounds in ${elapsed().toFixed(1)} s: ${counters.registered} destructors registered, ` +
      `${counters.ran} ran, ${counters.cancelled} cancelled; ${counters.mapSets} map sets`,
  );
  console.log(`[soak] ${rssVerdict}`);
  console.log(`[soak] final stats(): ${JSON.stringify(end)}${leaked.length ? ` (${leaked.length} kept on purpose)` : ''}`);
  if (failures.length > 0) {
    for (const failure of failures) console.error(`[soak] FAIL: ${failure}`);
    process.exit(1);
  }
  console.log('[soak] ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
