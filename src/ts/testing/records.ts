/**
 * weakwire's live records as `expectNoLeak` counts them: those of the native backend, when the
 * addon loads here, plus the portable backend's in this realm. Code under test may use either.
 * @packageDocumentation
 */
import { stats as portableStats } from '../portable/stats';
import type { Stats } from '../binding';

let nativeStats: (() => Stats) | null | undefined;

/** The native `stats()`, or null where the addon cannot load (or the build is the browser one). */
function native(): (() => Stats) | null {
  if (nativeStats === undefined) {
    try {
      // Loaded on first use, so the testing helpers work where the addon does not.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const backend = require('../backend') as typeof import('../backend');
      nativeStats = backend.backend === 'native' ? backend.stats : null;
    } catch {
      nativeStats = null;
    }
  }
  return nativeStats;
}

/** Which backends are counted: "native + portable" or "portable". */
export function countedBackends(): string {
  return native() === null ? 'portable' : 'native + portable';
}

/** The records of both backends, added up. */
export function recordCounts(): Stats {
  const p = portableStats();
  const n = native()?.();
  if (n === undefined) return p;
  return {
    trackedObjects: n.trackedObjects + p.trackedObjects,
    pendingCallbacks: n.pendingCallbacks + p.pendingCallbacks,
    mapEntries: n.mapEntries + p.mapEntries,
  };
}
