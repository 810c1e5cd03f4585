/**
 * What `expectNoLeak` measured and concluded, and how a person reads it: the figures, the object
 * kinds that grew, a retainer path, the samples.
 * @packageDocumentation
 */

/** One measurement, taken after garbage collection settled. */
export interface LeakSample {
  /** Measured calls made before this sample. */
  calls: number;
  /** Live JS heap, code spaces excluded (JIT code comes and goes), in bytes. */
  heapBytes: number;
  /** `process.memoryUsage().external` (includes ArrayBuffers), in bytes. */
  externalBytes: number;
  /** weakwire records, native and portable backends added up (see `stats()`). */
  trackedObjects: number;
  pendingCallbacks: number;
  mapEntries: number;
}

/** A figure `expectNoLeak` judges. */
export type Metric = Exclude<keyof LeakSample, 'calls'>;

/** One figure's verdict. */
export interface LeakFigure {
  metric: Metric;
  baseline: number;
  final: number;
  /** Robust trend (Theil-Sen slope of the lower envelope) per measured call. */
  perCall: number;
  /** One-sided p-value of the Mann–Kendall trend test on the samples (bytes only). */
  trendP?: number;
  growing: boolean;
  /** Why it counts as growing, or as not. */
  reason: string;
}

/** A kind of object that grew while the leak was being explained. */
export interface GrowthKind {
  /** Constructor or function name, or V8's name for an internal object, e.g. `(string)`. */
  kind: string;
  /** Net new objects of this kind per call. */
  countPerCall: number;
  /** Net growth of their own sizes per call, in bytes. */
  bytesPerCall: number;
  /** Path of references to one new object of this kind, when one was looked up. */
  retainerPath?: string[];
}

/** What {@link expectNoLeak} measured; returned when nothing leaked, and in the error otherwise. */
export interface LeakReport {
  label: string;
  /** Measured calls (the adaptive count, or `options.iterations`), extension included. */
  iterations: number;
  warmup: number;
  /** Which backends' records were counted: "native + portable", or "portable". */
  backends: string;
  /** The smallest steady growth per call the heap figures could have flagged, in bytes. */
  sensitivity: number;
  /** Whether a second run of as many calls confirmed a rise in the first. */
  extended: boolean;
  samples: LeakSample[];
  figures: LeakFigure[];
  leaking: boolean;
  /** On failure: the kinds of object that grew per call, from two heap snapshots. */
  growth?: GrowthKind[];
  /** Why there is no `growth` on a failure (explain: false, or the snapshots failed). */
  growthNote?: string;
  /** Where the measurements were taken: "this thread", "worker thread 3", "child process 1234". */
  where?: string;
}

export function fmtBytes(n: number): string {
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

function formatGrowth(r: LeakReport): string[] {
  if (r.growth === undefined) return r.growthNote === undefined ? [] : [`  ${r.growthNote}`];
  if (r.growth.length === 0) return ['  no kind of object grew between the two heap snapshots'];
  const lines = ['  grew per call (two heap snapshots, after more calls):'];
  for (const g of r.growth) {
    lines.push(
      `    ${g.kind}: ${g.countPerCall >= 0 ? '+' : ''}${g.countPerCall.toFixed(2)} objects, ` +
        `${g.bytesPerCall >= 0 ? '+' : ''}${g.bytesPerCall.toFixed(1)} B`,
    );
  }
  const sample = r.growth.find((g) => g.retainerPath !== undefined);
  if (sample?.retainerPath !== undefined) {
    lines.push(`  one new ${sample.kind} is retained through:`, ...sample.retainerPath.map((l) => `    ${l}`));
  }
  return lines;
}

/** The human-readable figures of a report, as the error message shows them. */
export function formatReport(r: LeakReport): string {
  const where = r.where === undefined ? '' : ` (in ${r.where})`;
  const calls = `${r.iterations} calls${r.extended ? ' (two runs)' : ''} (after ${r.warmup} warm-up calls)`;
  const head = r.leaking
    ? `expectNoLeak: ${r.label} keeps growing over ${calls}${where}:`
    : `expectNoLeak: ${r.label}: no growth over ${calls}${where}:`;
  const rows = r.samples.map(
    (s) =>
      `    ${String(s.calls).padStart(7)}  ${fmtBytes(s.heapBytes).padStart(10)}  ` +
      `${fmtBytes(s.externalBytes).padStart(10)}  ${s.trackedObjects}/${s.pendingCallbacks}/${s.mapEntries}`,
  );
  return [
    head,
    ...r.figures.map(formatFigure),
    ...(r.leaking ? formatGrowth(r) : []),
    `  smallest steady growth these figures could flag: ${r.sensitivity.toFixed(1)} B/call; ` +
      `records counted: ${r.backends}`,
    '  samples (calls, JS heap, external, stats tracked/pending/mapEntries):',
    ...rows,
  ].join('\n');
}

/** The Error {@link expectNoLeak} throws; `report` holds every figure. */
export class LeakError extends Error {
  constructor(readonly report: LeakReport) {
    super(formatReport(report));
    this.name = 'LeakError';
  }
}
