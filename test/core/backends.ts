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
