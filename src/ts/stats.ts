import { binding, type Stats } from './binding';
import { destructorCounts } from './weak_handle';

export type { Stats } from './binding';

/**
 * Live records in this environment: a leak test expects all three back at zero. A cancelled
 * destructor is not counted, even while its target lives (the runtime's finalizer record for
 * the target stays until then; see setDestructor).
 */
export function stats(): Stats {
  const native = binding.stats();
  const { tracked, pending } = destructorCounts(native.queued, native.generation);
  return { trackedObjects: tracked, pendingCallbacks: pending, mapEntries: native.mapEntries };
}
