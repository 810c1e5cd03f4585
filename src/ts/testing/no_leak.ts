import { getHeapSpaceStatistics } from 'node:v8';

import { stats } from '../stats';
import { gcRound } from './gc';

/** Options of {@link expectNoLeak}. */
export interface NoLeakOptions {
  /** Measured calls of `fn` (default 1000). */
  iterations?: number;
  /** Calls before the baseline is taken, so caches, JIT code and pools settle first (default 100). */
  warmup?: number;
  /** Measurements spread evenly over the measured calls (default 10, at least 4). */
  samples?: number;
  /**
   * JS heap growth per call still treated as noise, in bytes (default 48). The trend is a robust
   * slope over all samples, so one-off jumps (an array doubling, a JIT tier-up) do not count.
   */
  heapBytesPerCall?: number;
  /** External memory (Buffers, ArrayBuffers, native) growth per call treated as noise (default 48). */
  externalBytesPerCall?: number;
  /** Total growth below which a memory figure never fails, in bytes (default 64 KiB). */
  minBytes?: number;
  /** How many more `stats()` records than at the baseline are allowed at the end (default 0). */
  statsTolerance?: number;
  /** Names the code under test in the failure message. */
  label?: string;
}

/** One measurement, taken after garbage collection settled. */
export interface LeakSample {
  /** Measured calls made before this sample. */
  calls: number;
  /** Live JS heap, code spaces excluded (JIT code comes and goes), in bytes. */
  heapBytes: number;
  /** `process.memoryUsage().external` (includes ArrayBuffers), in bytes. */
  externalBytes: number;
  trackedObjects: number;
  pendingCallbacks: number;
  mapEntries: number;
}

type Metric = Exclude<keyof LeakSample, 'calls'>;

/** One figure's verdict. */
export interface LeakFigure {
  metric: Metric;
  baseline: number;
  final: number;
  /** Robust trend (Theil-Sen slope) per measured call. */
  perCall: number;
  growing: boolean;
  /** Why it counts as growing, or as not. */
  reason: string;
}

/** What {@link expectNoLeak} measured; returned when nothing leaked, and in the error otherwise. */
export interface LeakReport {
  label: string;
  iterations: number;
  warmup: number;
  samples: LeakSample[];
  figures: LeakFigure[];
  leaking: boolean;
}

/** The Error {@link expectNoLeak} throws; `report` holds every figure. */
export class LeakError extends Error {
  constructor(readonly report: LeakReport) {
    super(formatReport(report));
    this.name = 'LeakError';
  }
}

const COUNTERS = ['trackedObjects', 'pendingCallbacks', 'mapEntries'] as const;
const MAX_SETTLE_ROUNDS = 20;

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
  const s = stats();
  return s.trackedObjects + s.pendingCallbacks + s.mapEntries;
}

/**
 * Collects until weakwire's records stop shrinking and no destructor is pending, then measures.
 * The heap figure is the smallest reading of all rounds: V8 keeps some transient data (compiler
 * jobs, caches) alive across a few collections, and that can only inflate a reading.
 */
async function settle(calls: number, minRounds: number): Promise<LeakSample> {
  let heap = Infinity;
  let previous = Infinity;
  for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
    await gcRound(round);
    const now = countersTotal();
    const stable = now >= previous && stats().pendingCallbacks === 0;
    previous = Math.min(previous, now);
    heap = Math.min(heap, heapBytes());
    if (round + 1 >= minRounds && stable) break;
  }
  const s = stats();
  return {
    calls,
    heapBytes: heap,
    externalBytes: process.memoryUsage().external,
    trackedObjects: s.trackedObjects,
    pendingCallbacks: s.pendingCallbacks,
    mapEntries: s.mapEntries,
  };
}

/** Median of pairwise slopes: one outlier sample cannot fake or hide a trend. */
function theilSen(xs: number[], ys: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
    }
  }
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid] : (slopes[mid - 1] + slopes[mid]) / 2;
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

function judgeBytes(
  metric: Metric,
  samples: LeakSample[],
  perCallLimit: number,
  minBytes: number,
): LeakFigure {
  const ys = samples.map((s) => s[metric]);
  const baseline = ys[0];
  const final = ys[ys.length - 1];
  // Noise in these figures is one-sided (retained garbage only adds), so follow the lower
  // envelope: each sample is replaced by the smallest reading from it on. A leak raises the
  // floor; a spike does not.
  const floor = ys.map((_, i) => Math.min(...ys.slice(i)));
  const perCall = theilSen(
    samples.map((s) => s.calls),
    floor,
  );
  const third = Math.max(1, Math.floor(ys.length / 3));
  const growth = Math.min(...ys.slice(-third)) - Math.min(...ys.slice(0, third));
  const steep = perCall > perCallLimit;
  const large = growth > minBytes;
  const growing = steep && large;
  let reason: string;
  if (growing) {
    reason = `trend ${perCall.toFixed(1)} B/call > ${perCallLimit}, +${fmtBytes(growth)} > ${fmtBytes(minBytes)}`;
  } else if (!steep) {
    reason = `trend ${perCall.toFixed(1)} B/call <= ${perCallLimit}`;
  } else {
    reason = `trend ${perCall.toFixed(1)} B/call, but only ${growth >= 0 ? '+' : ''}${fmtBytes(growth)} <= ${fmtBytes(minBytes)}`;
  }
  return { metric, baseline, final, perCall, growing, reason };
}

function fmtBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MiB`;
  if (abs >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

const NAMES: Record<Metric, string> = {
  heapBytes: 'JS heap',
  externalBytes: 'external memory',
  trackedObjects: 'stats().trackedObjects',
  pendingCallbacks: 'stats().pendingCallbacks',
  mapEntries: 'stats().mapEntries',
};

function formatFigure(f: LeakFigure): string {
  const bytes = f.metric === 'heapBytes' || f.metric === 'externalBytes';
  const show = bytes ? fmtBytes : (n: number): string => String(n);
  const perCall = bytes ? `${f.perCall.toFixed(1)} B/call` : `${f.perCall.toFixed(3)}/call`;
  return (
    `  ${f.growing ? 'LEAK' : 'ok  '} ${NAMES[f.metric]}: ${show(f.baseline)} -> ${show(f.final)} ` +
    `(${perCall}; ${f.reason})`
  );
}

/** The human-readable figures of a report, as the error message shows them. */
export function formatReport(r: LeakReport): string {
  const head = r.leaking
    ? `expectNoLeak: ${r.label} keeps growing over ${r.iterations} calls ` +
      `(after ${r.warmup} warm-up calls):`
    : `expectNoLeak: ${r.label}: no growth over ${r.iterations} calls (after ${r.warmup} warm-up calls):`;
  const rows = r.samples.map(
    (s) =>
      `    ${String(s.calls).padStart(7)}  ${fmtBytes(s.heapBytes).padStart(10)}  ` +
      `${fmtBytes(s.externalBytes).padStart(10)}  ${s.trackedObjects}/${s.pendingCallbacks}/${s.mapEntries}`,
  );
  return [
    head,
    ...r.figures.map(formatFigure),
    '  samples (calls, JS heap, external, stats tracked/pending/mapEntries):',
    ...rows,
  ].join('\n');
}

/**
 * Calls `fn` many times with garbage collection in between, and fails when memory keeps growing:
 * weakwire's `stats()` records, the JS heap, or external memory.
 *
 * It warms up first (`warmup` calls), takes a baseline after collection settled, then spreads
 * `samples` measurements over `iterations` more calls. A figure fails only if it grows with a
 * robust trend above its per-call limit *and* by more than `minBytes` overall (for `stats()`
 * counts: above `statsTolerance`, and still rising in the second half), so JIT code, pools and
 * one-off jumps do not make it flaky. `fn` may be async; it is awaited.
 *
 * @returns the measurements, when nothing keeps growing.
 * @throws LeakError with every figure in its message when something does.
 */
export async function expectNoLeak(
  fn: (iteration: number) => unknown,
  options: NoLeakOptions = {},
): Promise<LeakReport> {
  if (typeof fn !== 'function') {
    throw new TypeError(`expectNoLeak: fn must be a function; got ${typeof fn}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`expectNoLeak: options must be an object; got ${options === null ? 'null' : typeof options}`);
  }
  const iterations = positiveInt(options.iterations ?? 1000, 'options.iterations', 1);
  const warmup = positiveInt(options.warmup ?? 100, 'options.warmup', 0);
  const sampleCount = positiveInt(options.samples ?? 10, 'options.samples', 4);
  const heapLimit = nonNegative(options.heapBytesPerCall ?? 48, 'options.heapBytesPerCall');
  const externalLimit = nonNegative(options.externalBytesPerCall ?? 48, 'options.externalBytesPerCall');
  const minBytes = nonNegative(options.minBytes ?? 64 * 1024, 'options.minBytes');
  const tolerance = nonNegative(options.statsTolerance ?? 0, 'options.statsTolerance');
  const label = options.label ?? 'fn';
  if (typeof label !== 'string') {
    throw new TypeError(`expectNoLeak: options.label must be a string; got ${typeof label}`);
  }
  if (sampleCount - 1 > iterations) {
    throw new TypeError(
      `expectNoLeak: options.iterations (${iterations}) must be at least options.samples - 1 (${sampleCount - 1})`,
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

  await run(warmup);
  // The baseline settles longer: warm-up garbage is the largest.
  const samples: LeakSample[] = [await settle(0, 6)];
  let done = 0;
  for (let k = 1; k < sampleCount; k++) {
    const target = Math.round((iterations * k) / (sampleCount - 1));
    await run(target - done);
    done = target;
    samples.push(await settle(done, 4));
  }
  // Destructors and finalizers can lag a round behind: give the final counts a fair chance.
  const last = samples[samples.length - 1];
  const baseline = samples[0];
  if (COUNTERS.some((c) => last[c] > baseline[c] + tolerance)) {
    samples[samples.length - 1] = await settle(done, MAX_SETTLE_ROUNDS);
  }

  const figures: LeakFigure[] = [
    ...COUNTERS.map((c) => judgeCounter(c, samples, tolerance)),
    judgeBytes('heapBytes', samples, heapLimit, minBytes),
    judgeBytes('externalBytes', samples, externalLimit, minBytes),
  ];
  const report: LeakReport = {
    label,
    iterations,
    warmup,
    samples,
    figures,
    leaking: figures.some((f) => f.growing),
  };
  if (report.leaking) throw new LeakError(report);
  return report;
}
