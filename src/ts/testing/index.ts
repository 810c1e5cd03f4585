/**
 * weakwire/testing: write memory-leak tests with real garbage collection.
 *
 * Built on weakwire's own weak handles, not on heap snapshots: `track(obj)` watches an object
 * without keeping it alive, `expectNoLeak(fn)` runs code many times and checks that nothing keeps
 * growing. Works with any test runner; `weakwire/jest` adds matchers on top.
 * @packageDocumentation
 */
export { forceGC, gcUntil, type GCUntilOptions } from './gc';
export {
  track,
  isTracker,
  Tracker,
  type CollectedOptions,
  type RetainedOptions,
  type CollectionResult,
} from './track';
export {
  expectNoLeak,
  formatReport,
  LeakError,
  type NoLeakOptions,
  type LeakReport,
  type LeakSample,
  type LeakFigure,
} from './no_leak';
