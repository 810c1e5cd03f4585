/**
 * Forcing garbage collection from tests, with or without `--expose-gc`.
 * @packageDocumentation
 */

import { finalizerStallNote } from './finalizer_probe';

type GC = () => void;

/** Where a GC function can come from; injectable so the failure path can be tested. */
export interface GCSources {
  /** `globalThis.gc`, present under `--expose-gc`. */
  exposed: () => unknown;
  /** Turns on V8's `--expose-gc` at run time and reads `gc` from a fresh context. */
  fromFreshContext: () => unknown;
  /** Bun's own collector, where there is one. */
  bun: () => unknown;
}

const defaultSources: GCSources = {
  exposed: () => (globalThis as { gc?: unknown }).gc,
  fromFreshContext: () => {
    // Required lazily: runtimes without node:v8 or node:vm still get the explanatory error.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { setFlagsFromString } = require('node:v8') as typeof import('node:v8');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runInNewContext } = require('node:vm') as typeof import('node:vm');
    // V8 reads the flag when it creates a context, so a context made after this has `gc`.
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc');
  },
  bun: () => {
    const bun = (globalThis as { Bun?: { gc?: (sync: boolean) => void } }).Bun;
    if (bun === undefined || typeof bun.gc !== 'function') return undefined;
    const collect = bun.gc;
    return () => collect(true);
  },
};

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Finds a way to force a full, synchronous collection. Exported for tests only; use
 * {@link forceGC}.
 * @internal
 */
export function resolveGC(sources: GCSources = defaultSources): GC {
  const exposed = sources.exposed();
  if (typeof exposed === 'function') return exposed as GC;
  const why: string[] = [];
  try {
    const fresh = sources.fromFreshContext();
    if (typeof fresh === 'function') return fresh as GC;
    why.push(`enabling --expose-gc at run time gave no gc function (got ${typeof fresh})`);
  } catch (error) {
    why.push(`enabling --expose-gc at run time failed: ${reason(error)}`);
  }
  try {
    const bun = sources.bun();
    if (typeof bun === 'function') return bun as GC;
  } catch (error) {
    why.push(`Bun.gc failed: ${reason(error)}`);
  }
  throw new Error(
    `weakwire/testing: cannot force garbage collection in this runtime: globalThis.gc is not ` +
      `defined and ${why.join('; ')}. Start the process with V8's --expose-gc flag, e.g. ` +
      `\`node --expose-gc\`, \`NODE_OPTIONS=--expose-gc\` or \`deno run --v8-flags=--expose-gc\`.`,
  );
}

let cached: GC | undefined;

/**
 * Runs a full, synchronous garbage collection. Works without `--expose-gc` on Node.js (it turns
 * the flag on at run time); throws an Error that says what to do where that is impossible.
 *
 * Objects the collection frees have their weakwire destructors queued, not run: those run on a
 * later event-loop turn. Use {@link gcUntil} to wait for them.
 */
export function forceGC(): void {
  (cached ??= resolveGC())();
}

/** Options of {@link gcUntil}. */
export interface GCUntilOptions {
  /** GC rounds to try before giving up (default 50). Each round is one GC and two loop turns. */
  attempts?: number;
}

/** One event-loop turn: lets queued destructors and Node-API finalizers run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms` milliseconds on a timer. @internal */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One GC round: a turn, a full collection, then a `setImmediate` turn and a short timer, so
 * finalizers deferred by the runtime and the destructor batches queued by weakwire both get to
 * run. The turn before the collection ends the caller's job: an object a WeakRef was read from in
 * that job (a `gcUntil` predicate calling `ref.deref()`) is kept alive until the job ends.
 * Later rounds wait a little longer, for work that other threads finish.
 * @internal
 */
export async function gcRound(round: number): Promise<void> {
  await nextTurn();
  forceGC();
  await nextTurn();
  await sleep(round < 3 ? 0 : Math.min(2 ** (round - 3), 20));
}

function checkAttempts(value: unknown, fn: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${fn}: options.attempts must be a positive integer; got ${String(value)}`);
  }
  return value;
}

/**
 * Alternates GC and event-loop turns until `predicate()` holds.
 *
 * @returns the number of GC rounds it took (0 if the predicate held at once).
 * @throws Error naming how many rounds were tried, when the predicate is still false after
 *   `attempts` rounds. A test that awaits this can never hang.
 */
export async function gcUntil(
  predicate: () => boolean | Promise<boolean>,
  options: GCUntilOptions = {},
): Promise<number> {
  if (typeof predicate !== 'function') {
    throw new TypeError(`gcUntil: predicate must be a function; got ${typeof predicate}`);
  }
  const attempts = checkAttempts(options.attempts ?? 50, 'gcUntil');
  const started = Date.now();
  for (let round = 0; round < attempts; round++) {
    if (await predicate()) return round;
    await gcRound(round);
  }
  if (await predicate()) return attempts;
  const elapsed = Date.now() - started;
  throw new Error(
    `gcUntil: predicate still false after ${attempts} GC rounds (${elapsed} ms)` +
      (await finalizerStallNote()),
  );
}
