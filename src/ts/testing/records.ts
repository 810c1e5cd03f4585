/**
 * weakwire's live records as `expectNoLeak` counts them: those of the native backend, when the
 * addon loads here, plus the portable backend's in this realm. Code under test may use either.
 * @packageDocumentation
 */
import { stats as portableStats } from '../portable/stats';
import type { Stats } from '../binding';

/** The native `stats()`, or null where the addon cannot load (or the build is the browser one). */
function loadNative(): (() => Stats) | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const backend = require('../backend') as typeof import('../backend');
    return backend.backend === 'native' ? backend.stats : null;
  } catch {
    return null; // the testing helpers work where the addon does not
  }
}

// Loaded with this module, not on first use: under `jest --detectLeaks`, a test file whose test
// body was the first to load the addon was reported as leaking (its realm stayed reachable), while
// loading it as the module is evaluated is not (checked with test/fixtures/testing/detect_leaks_project).
const nativeStats = loadNative();

function native(): (() => Stats) | null {
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
