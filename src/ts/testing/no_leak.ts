import { getHeapSpaceStatistics } from 'node:v8';

import { gcRound } from './gc';
import {
  fmtBytes,
  LeakError,
  type GrowthKind,
  type LeakFigure,
  type LeakReport,
  type LeakSample,
  type Metric,
} from './leak_report';
import { countedBackends, recordCounts } from './records';
import { isRemoteFunction, type RemoteFunction } from './remote_checks';
import { grownKinds, summarize, takeHeapGraph } from './retainers';
import { lowerEnvelope, mannKendall, theilSen, thirdsGrowth } from './trend';

export {
  formatReport,
  LeakError,
  type GrowthKind,
  type LeakFigure,
  type LeakReport,
  type LeakSample,
} from './leak_report';

/** Options of {@link expectNoLeak}. */
export interface NoLeakOptions {
  /**
   * Measured calls of `fn`. By default the count adapts to `fn`'s speed: as many calls as fit in
   * `timeBudget` (measured during the warm-up), between 1,000 and `maxIterations`.
   */
  iterations?: number;
  /** Milliseconds of calls to aim for when the count adapts (default 100). */
  timeBudget?: number;
  /** Most calls the adaptive count makes (default 50,000). */
  maxIterations?: number;
  /** Calls before the baseline is taken, so caches, JIT code and pools settle first (default 100). */
  warmup?: number;
  /** Measurements spread evenly over the measured calls, the baseline included (default 7, at least 4). */
  samples?: number;
  /**
   * JS heap growth per call still treated as noise, in bytes (default 8). The trend is a robust
   * slope over all samples, so one-off jumps (an array doubling, a JIT tier-up) do not count.
   */
  heapBytesPerCall?: number;
  /** External memory (Buffers, ArrayBuffers, native) growth per call treated as noise (default 8). */
  externalBytesPerCall?: number;
  /** Total growth below which a memory figure never fails, in bytes (default 64 KiB). */
  minBytes?: number;
  /** How many more `stats()` records than at the baseline are allowed at the end (default 0). */
  statsTolerance?: number;
  /**
   * On failure, take two heap snapshots around more calls and name the kinds of object that grew,
   * with a retainer path for one. By default this is done when the check took less than 2 s so
   * far, so that a failure stays inside Jest's default 5 s test timeout; `true` always does it
   * (give the test a longer timeout), `false` never. A passing check never takes a snapshot.
   */
  explain?: boolean;
  /** Names the code under test in the failure message. */
  label?: string;
}

const COUNTERS = ['trackedObjects', 'pendingCallbacks', 'mapEntries'] as const;
const MAX_SETTLE_ROUNDS = 20;
const MIN_ADAPTIVE = 1000;
/** A figure whose trend test gives a p-value under this is rising. */
const SIGNIFICANT = 0.01;
/** Past this, a failing check skips its snapshots unless asked: they take seconds on a big heap. */
const EXPLAIN_DEADLINE_MS = 2000;
/** Readings closer than this are ties for the trend test: the noise of a reading after GC. */
const NOISE_FLOOR = 16 * 1024;

function positiveInt(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`expectNoLeak: ${name} must be an integer >= ${min}; got ${String(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`expectNoLeak: ${name} must be a non-negative number; got ${String(value)}`);
  }
  return value;
}

function heapBytes(): number {
  let total = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (!space.space_name.startsWith('code') && space.space_name !== 'read_only_space') {
      total += space.space_used_size;
    }
  }
  return total;
}

function countersTotal(): number {
  const s = recordCounts();
  return s.trackedObjects + s.pendingCallbacks + s.mapEntries;
}

/**
 * Collects until weakwire's records stop shrinking and no destructor is pending, then measures:
 * one collection when nothing is pending. The heap figure is the smallest reading of all rounds:
 * garbage a collection left behind can only inflate a reading.
 */
async function settle(calls: number, minRounds: number): Promise<LeakSample> {
  let heap = Infinity;
  for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
    const before = countersTotal();
    await gcRound(round);
    const after = countersTotal();
    heap = Math.min(heap, heapBytes());
    if (round + 1 >= minRounds && after === before && recordCounts().pendingCallbacks === 0) break;
  }
  const s = recordCounts();
  return {
    calls,
    heapBytes: heap,
    externalBytes: process.memoryUsage().external,
    trackedObjects: s.trackedObjects,
    pendingCallbacks: s.pendingCallbacks,
    mapEntries: s.mapEntries,
  };
}

function judgeCounter(metric: Metric, samples: LeakSample[], tolerance: number): LeakFigure {
  const ys = samples.map((s) => s[metric]);
  const baseline = ys[0];
  const final = ys[ys.length - 1];
  const mid = ys[Math.floor((ys.length - 1) / 2)];
  const perCall = theilSen(
    samples.map((s) => s.calls),
    ys,
  );
  // Counts are exact, but a bounded cache may still fill up early on: a leak is growth past
  // the tolerance that was still going on in the second half of the run.
  const growing = final - baseline > tolerance && final > mid;
  const reason = growing
    ? `+${final - baseline} records, still rising in the second half`
    : final - baseline > tolerance
      ? `+${final - baseline} records, but flat in the second half`
      : `within tolerance ${tolerance}`;
  return { metric, baseline, final, perCall, growing, reason };
}

/**
 * A memory figure over the first run of calls: steep (trend above the per-call limit) and large
 * (grew by more than `minBytes`) is a suspect, to be confirmed by a second run.
 */
function suspect(ys: readonly number[], xs: readonly number[], perCallLimit: number, minBytes: number): boolean {
  return theilSen(xs, lowerEnvelope(ys)) > perCallLimit && thirdsGrowth(ys) > minBytes;
}

/** Rose by more than the noise between every two samples: no one-off step looks like that. */
function risesEverywhere(ys: readonly number[], minBytes: number): boolean {
  const tie = Math.max(NOISE_FLOOR, minBytes / 4);
  return ys.every((y, i) => i === 0 || y - ys[i - 1] > tie);
}

/**
 * The largest fall between two samples. A leak never shrinks the heap, so a fall is what the rest
 * of the process (a runner's buffers, code flushed and compiled again) moves it by, up or down.
 */
function largestFall(ys: readonly number[]): number {
  let fall = 0;
  for (let i = 1; i < ys.length; i++) fall = Math.max(fall, ys[i - 1] - ys[i]);
  return fall;
}

/**
 * The verdict on a memory figure. It is growing when its trend over all samples is steep, the
 * first run grew by more than `minBytes`, a Mann–Kendall test finds a steady rise (p < 0.01),
 * *and* either it rose between every two samples of a single run or a second run
 * (`confirmFrom` on) grew again by half of `minBytes` and by more than the heap was seen to fall
 * between two samples: a cache that filled once, a table that was allocated once, stays put in
 * the second run, give or take the process's noise; a leak does not.
 */
function judgeBytes(
  metric: Metric,
  samples: LeakSample[],
  perCallLimit: number,
  minBytes: number,
  confirmFrom: number | undefined,
): LeakFigure {
  const ys = samples.map((s) => s[metric]);
  const xs = samples.map((s) => s.calls);
  const baseline = ys[0];
  const final = ys[ys.length - 1];
  const perCall = theilSen(xs, lowerEnvelope(ys));
  const first = ys.slice(0, confirmFrom === undefined ? ys.length : confirmFrom + 1);
  const growth = thirdsGrowth(first);
  const trend = mannKendall(ys, Math.max(NOISE_FLOOR, minBytes / 4));
  const p = trend.p < 0.001 ? '< 0.001' : `= ${trend.p.toFixed(3)}`;
  const figure = (growing: boolean, reason: string): LeakFigure => ({
    metric,
    baseline,
    final,
    perCall,
    trendP: trend.p,
    growing,
    reason,
  });
  if (perCall <= perCallLimit) return figure(false, `trend ${perCall.toFixed(1)} B/call <= ${perCallLimit}`);
  if (growth <= minBytes) {
    return figure(false, `trend ${perCall.toFixed(1)} B/call, but only ${growth >= 0 ? '+' : ''}${fmtBytes(growth)} <= ${fmtBytes(minBytes)}`);
  }
  const steady = confirmFrom === undefined && risesEverywhere(ys, minBytes);
  if (confirmFrom === undefined && !steady) return figure(false, 'rose, but not at every sample, and was not run again');
  const again = confirmFrom === undefined ? growth : thirdsGrowth(ys.slice(confirmFrom));
  const noise = confirmFrom === undefined ? 0 : largestFall(ys);
  if (again <= Math.max(minBytes / 2, noise)) {
    const within = again > minBytes / 2 ? ` (within the ${fmtBytes(noise)} the heap fell between two samples)` : '';
    return figure(
      false,
      `+${fmtBytes(growth)}, then ${again >= 0 ? '+' : ''}${fmtBytes(again)} over as many calls again${within}: a one-off step`,
    );
  }
  if (trend.p >= SIGNIFICANT) return figure(false, `+${fmtBytes(growth)}, but no steady rise (p ${p})`);
  return figure(
    true,
    `trend ${perCall.toFixed(1)} B/call > ${perCallLimit}, +${fmtBytes(growth)} > ${fmtBytes(minBytes)}, ` +
      `${steady ? 'rising at every sample' : `+${fmtBytes(again)} again over as many calls`} (p ${p})`,
  );
}

/** Snapshot, `calls` more calls, snapshot: the kinds of object that grew per call. */
async function explainGrowth(
  run: (count: number) => Promise<void>,
  calls: number,
  settleAfter: () => Promise<unknown>,
): Promise<GrowthKind[]> {
  const before = summarize(await takeHeapGraph());
  await run(calls);
  await settleAfter();
  const after = await takeHeapGraph();
  // Noise: kinds that grew by less than one object per two calls and four bytes per call.
  return grownKinds(before, after, { minCount: calls / 2, minBytes: 4 * calls }).map((g) => ({
    kind: g.kind,
    countPerCall: g.count / calls,
    bytesPerCall: g.bytes / calls,
    retainerPath: g.samplePath,
  }));
}

/**
 * Calls `fn` many times with garbage collection in between, and fails when memory keeps growing:
 * weakwire's `stats()` records (both backends), the JS heap, or external memory.
 *
 * It warms up first (`warmup` calls, timed), takes a baseline after collection settled, then spreads
 * `samples` measurements over the measured calls: by default as many as fit in `timeBudget`, so a
 * fast `fn` runs tens of thousands of times and a leak of a few bytes per call adds up to more than
 * the noise. A memory figure that rose (robust trend above its per-call limit, growth above
 * `minBytes`) fails if it rose between every two samples; otherwise it is confirmed with as many
 * calls again, and fails only if it rose again there and a Mann–Kendall test finds a steady rise
 * over all samples (p < 0.01). `stats()` counts fail above `statsTolerance` when still rising
 * in the second half. On failure, two heap snapshots
 * name the kinds of object that grew per call and one's retainer path. `fn` may be async, or a
 * function a worker thread or child process serves (`leakTarget(worker).fn(name)`): the check
 * then runs there, on that heap.
 *
 * @returns the measurements, when nothing keeps growing.
 * @throws LeakError with every figure in its message when something does.
 */
export async function expectNoLeak(
  fn: ((iteration: number) => unknown) | RemoteFunction,
  options: NoLeakOptions = {},
): Promise<LeakReport> {
  // A function served by a worker or child: the whole check runs there.
  if (isRemoteFunction(fn)) return fn.target.expectNoLeak(fn.name, options);
  if (typeof fn !== 'function') {
    throw new TypeError(`expectNoLeak: fn must be a function; got ${typeof fn}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`expectNoLeak: options must be an object; got ${options === null ? 'null' : typeof options}`);
  }
  const fixed = options.iterations === undefined ? undefined : positiveInt(options.iterations, 'options.iterations', 1);
  const budget = nonNegative(options.timeBudget ?? 100, 'options.timeBudget');
  const maxIterations = positiveInt(options.maxIterations ?? 50_000, 'options.maxIterations', 1);
  const warmup = positiveInt(options.warmup ?? 100, 'options.warmup', 0);
  const sampleCount = positiveInt(options.samples ?? 7, 'options.samples', 4);
  const heapLimit = nonNegative(options.heapBytesPerCall ?? 8, 'options.heapBytesPerCall');
  const externalLimit = nonNegative(options.externalBytesPerCall ?? 8, 'options.externalBytesPerCall');
  const minBytes = nonNegative(options.minBytes ?? 64 * 1024, 'options.minBytes');
  const tolerance = nonNegative(options.statsTolerance ?? 0, 'options.statsTolerance');
  const label = options.label ?? 'fn';
  if (typeof label !== 'string') {
    throw new TypeError(`expectNoLeak: options.label must be a string; got ${typeof label}`);
  }
  if (fixed !== undefined && sampleCount - 1 > fixed) {
    throw new TypeError(
      `expectNoLeak: options.iterations (${fixed}) must be at least options.samples - 1 (${sampleCount - 1})`,
    );
  }

  let call = 0;
  const run = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const result = fn(call++) as { then?: unknown } | undefined;
      // Only await what is awaitable: a synchronous fn runs without a microtask per call.
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        await result;
      }
    }
  };

  const started = performance.now();
  // The speed is taken from the second half of the warm-up: the first calls run cold (not yet
  // compiled), and a count from them would be a fraction of what the budget allows.
  const cold = warmup >> 1;
  await run(cold);
  const warmStart = performance.now();
  await run(warmup - cold);
  const perCallMs = warmup - cold > 0 ? (performance.now() - warmStart) / (warmup - cold) : 0;
  const adaptive = perCallMs > 0 ? Math.round(budget / perCallMs) : maxIterations;
  const iterations = fixed ?? Math.max(Math.min(MIN_ADAPTIVE, maxIterations), Math.min(maxIterations, adaptive));

  // One collection per sample unless records are still settling: a leftover of the warm-up can
  // only inflate the baseline, which hides growth rather than inventing it.
  const samples: LeakSample[] = [await settle(0, 1)];
  let done = 0;
  const measure = async (from: number, count: number): Promise<void> => {
    for (let k = 1; k < sampleCount; k++) {
      const target = from + Math.round((count * k) / (sampleCount - 1));
      await run(target - done);
      done = target;
      samples.push(await settle(done, 1));
    }
  };
  await measure(0, iterations);
  const xs = samples.map((s) => s.calls);
  const suspects =
    suspect(samples.map((s) => s.heapBytes), xs, heapLimit, minBytes) ||
    suspect(samples.map((s) => s.externalBytes), xs, externalLimit, minBytes);
  // A rise in the first run is confirmed with as many calls again: a leak keeps rising, a cache
  // that filled or a table allocated once stays put. Clean code rarely pays for this.
  // A figure that rose between every two samples needs no second run.
  const steady = (['heapBytes', 'externalBytes'] as const).some((m) => {
    const ys = samples.map((s) => s[m]);
    return risesEverywhere(ys, minBytes) && suspect(ys, xs, m === 'heapBytes' ? heapLimit : externalLimit, minBytes);
  });
  let confirmFrom: number | undefined;
  if (suspects && !steady) {
    confirmFrom = samples.length - 1;
    await measure(done, iterations);
  }
  const extended = confirmFrom !== undefined;
  // Destructors and finalizers can lag a round behind: give the final counts a fair chance.
  const baseline = samples[0];
  if (COUNTERS.some((c) => samples[samples.length - 1][c] > baseline[c] + tolerance)) {
    samples[samples.length - 1] = await settle(done, MAX_SETTLE_ROUNDS);
  }

  const figures: LeakFigure[] = [
    ...COUNTERS.map((c) => judgeCounter(c, samples, tolerance)),
    judgeBytes('heapBytes', samples, heapLimit, minBytes, confirmFrom),
    judgeBytes('externalBytes', samples, externalLimit, minBytes, confirmFrom),
  ];
  const report: LeakReport = {
    label,
    iterations: done,
    warmup,
    backends: countedBackends(),
    sensitivity: Math.max(heapLimit, minBytes / Math.max(1, done)),
    extended,
    samples,
    figures,
    leaking: figures.some((f) => f.growing),
  };
  if (report.leaking) {
    const elapsed = performance.now() - started;
    if (options.explain === false) {
      report.growthNote = 'no heap snapshots taken (explain: false)';
    } else if (options.explain === undefined && elapsed > EXPLAIN_DEADLINE_MS) {
      report.growthNote =
        `no heap snapshots taken: the check had already run ${(elapsed / 1000).toFixed(1)} s ` +
        '(pass explain: true, and a longer test timeout, to name what grew)';
    } else {
      try {
        // Enough calls for a count per call to stand out, few enough to keep the snapshots small.
        const more = Math.min(Math.max(1000, Math.round(done / 10)), Math.max(1, done));
        report.growth = await explainGrowth(run, more, () => settle(done + more, 1));
      } catch (error) {
        report.growthNote = `the heap snapshots failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    throw new LeakError(report);
  }
  return report;
}
