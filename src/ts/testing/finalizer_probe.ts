import { gcRound } from './gc';

/** What {@link probeFinalizers} found. */
export type FinalizerProbe = 'delivered' | 'stalled' | 'inconclusive';

// Enough for a callback queued behind many other dirty registries (one is cleaned per task).
const PROBE_ROUNDS = 25;

// Its own frame: nothing on the caller's stack keeps the probe object alive.
function registerProbe(registry: FinalizationRegistry<number>): WeakRef<object> {
  const target = {};
  registry.register(target, 0);
  return new WeakRef(target);
}

/**
 * Checks whether this realm's `FinalizationRegistry` callbacks are being delivered at all: a
 * fresh registry watches a fresh object through a few GC rounds. `'stalled'` means the object was
 * collected (its WeakRef is empty) but the callback never ran: the engine has stopped running
 * cleanup tasks in this thread, and every FinalizationRegistry-based check after that fails,
 * whatever the code under test does. Failure messages add this, so such a failure names its cause.
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
  const ref = registerProbe(registry);
  for (let round = 0; round < PROBE_ROUNDS && !ran; round++) await gcRound(round);
  if (ran) return 'delivered';
  // Read only after the rounds: a read keeps the object alive until the job ends.
  const collected = ref.deref() === undefined;
  // The registry must outlive the rounds, or its callbacks could be dropped with it.
  registry.unregister(registry);
  return collected ? 'stalled' : 'inconclusive';
}

/** A line for a failure message when finalizers are stalled; empty otherwise. @internal */
export async function finalizerStallNote(): Promise<string> {
  try {
    if ((await probeFinalizers()) !== 'stalled') return '';
  } catch {
    return '';
  }
  return (
    `\nFinalizationRegistry callbacks are not being delivered in this thread: a fresh object ` +
    `was collected but its registry callback did not run in ${PROBE_ROUNDS} GC rounds. The ` +
    `engine stopped running finalization cleanup tasks, so this failure does not come from ` +
    `the code under test (see docs/leak-testing.md, "When finalizers stall").`
  );
}
