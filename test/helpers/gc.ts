import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GC = () => void;

function resolveGC(): GC {
  const exposed = (globalThis as { gc?: GC }).gc;
  if (typeof exposed === 'function') return exposed;
  // Works without --expose-gc: turn the flag on and take gc from a fresh context.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as GC;
}

/** A full, synchronous garbage collection. */
export const forceGC: GC = resolveGC();

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Alternates GC and event-loop turns until `condition()` holds. Fails after `attempts` rounds,
 * so a test never hangs and never depends on a fixed number of ticks. The collection runs a turn
 * after the check: a condition that reads a WeakRef (the portable IDWeakMap's `has`) keeps the
 * value alive until its job ends.
 */
export async function gcUntil(condition: () => boolean, attempts = 100): Promise<void> {
  for (let round = 0; round < attempts; round++) {
    if (condition()) return;
    await turn();
    forceGC();
    await turn();
    await sleep(round < 10 ? 0 : 10);
  }
  if (condition()) return;
  throw new Error(`gcUntil: condition still false after ${attempts} GC rounds`);
}

/** Runs GC and event-loop turns for a while, for tests that check something did NOT happen. */
export async function gcSettle(rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    forceGC();
    await turn();
    await sleep(5);
  }
}
