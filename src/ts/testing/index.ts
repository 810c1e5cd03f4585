/**
 * weakwire/testing: write memory-leak tests with real garbage collection.
 *
 * Passing checks need no heap snapshot: `track(obj)` watches an object without keeping it alive
 * (a FinalizationRegistry of the test's own realm), `expectNoLeak(fn)` runs code many times and
 * checks that nothing keeps growing. Failures take heap snapshots to say what holds the object or
 * what grew. Works with any test runner; `weakwire/jest` and `weakwire/vitest` add matchers.
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
  type GrowthKind,
} from './no_leak';
export {
  leakTarget,
  LeakTarget,
  RemoteTracker,
  type RemoteFunction,
  type LeakCheckEndpoint,
} from './remote_checks';
export { serveLeakChecks, type LeakCheckFunctions } from './serve_checks';
