import * as native from '../../src/ts';
import * as portable from '../../src/ts/portable';

/** What both backends export; the core suite runs once per backend. */
export type Backend = typeof native;

/** `describe.each(BACKENDS)('%s backend', (name, api) => ...)`. */
export const BACKENDS: Array<[string, Backend]> = [
  ['native', native],
  // The portable classes are distinct from the native ones (their own #private brands), with the
  // same public shape.
  ['portable', portable as unknown as Backend],
];

/** One event-loop turn. A WeakRef made or read during a job keeps its target alive until the
 * job ends, so tests that collect a value they just stored (portable map) yield first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
