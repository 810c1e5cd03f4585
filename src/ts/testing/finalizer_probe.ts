import { gcRound, nextTurn, sleep } from './gc';

/** What {@link probeFinalizers} found. */
export type FinalizerProbe = 'delivered' | 'stalled' | 'inconclusive';

/** GC rounds that give the probe object every chance to be collected. */
const PROBE_ROUNDS = 5;
/**
 * How long a collected probe's callback may take before the probe calls it a stall. V8 cleans
 * one registry per task, so in a healthy process the callback can queue behind other registries'
 * slow callbacks: the wait is in time, not rounds, and ends at the callback.
 */
export const STALL_AFTER_MS = 3000;

// Registries of probes in progress: a registry that dies may never call back.
const probing = new Set<FinalizationRegistry<number>>();

// Its own frame: nothing on the caller's stack keeps the probe object alive.
function registerProbe(registry: FinalizationRegistry<number>): WeakRef<object> {
  const target = {};
  registry.register(target, 0);
  return new WeakRef(target);
}

/**
 * Checks whether this realm's `FinalizationRegistry` callbacks are being delivered at all: a
 * fresh registry watches a fresh object through a few GC rounds, then waits up to
 * {@link STALL_AFTER_MS} for the callback. `'stalled'` means the object was collected (its
 * WeakRef is empty) but the callback never came: the engine has stopped running cleanup tasks in
 * this thread, and every FinalizationRegistry-based check after that fails, whatever the code
 * under test does. Returns as soon as the callback runs, so a healthy process pays little.
 * @internal
 */
export async function probeFinalizers(): Promise<FinalizerProbe> {
  if (typeof FinalizationRegistry !== 'function' || typeof WeakRef !== 'function') {
    return 'inconclusive';
  }
  let ran = false;
  const registry = new FinalizationRegistry<number>(() => {
    ran = true;
  });
  probing.add(registry);
  try {
    const ref = registerProbe(registry);
    for (let round = 0; round < PROBE_ROUNDS && !ran; round++) await gcRound(round);
    if (ran) return 'delivered';
    // A WeakRef read keeps its object until the job ends: read it on a turn of its own.
    await nextTurn();
    if (ref.deref() !== undefined) return 'inconclusive';
    const deadline = Date.now() + STALL_AFTER_MS;
    while (!ran && Date.now() < deadline) await sleep(10);
    return ran ? 'delivered' : 'stalled';
  } finally {
    probing.delete(registry);
  }
}

/**
 * A line for a failure message of a wait that may depend on FinalizationRegistry callbacks, when
 * those are stalled; empty otherwise. @internal
 */
export async function finalizerStallNote(): Promise<string> {
  try {
    if ((await probeFinalizers()) !== 'stalled') return '';
  } catch {
    return '';
  }
  return (
    `\nFinalizationRegistry callbacks are not being delivered in this thread: a fresh object ` +
    `was collected but its registry callback did not run within ${STALL_AFTER_MS} ms. If the ` +
    `predicate waits for such a callback (a portable-backend destructor, a portable IDWeakMap ` +
    `entry), this is why, not the code under test (see docs/leak-testing.md, "When finalizers ` +
    `stall").`
  );
}
