import type { Stats } from '../binding';
import { realmState } from './realm_state';

export type { Stats } from '../binding';

/**
 * Live portable records in this realm, with the native `stats()`'s meaning: registrations whose
 * target is alive (as far as the FinalizationRegistry has reported), destructors waiting for their
 * batch, and entries of all portable IDWeakMaps. A leak test expects all three back at zero.
 */
export function stats(): Stats {
  const { trackedObjects, pendingCallbacks, mapEntries } = realmState().counters;
  return { trackedObjects, pendingCallbacks, mapEntries };
}
