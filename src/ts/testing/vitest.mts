/**
 * weakwire/vitest: registers `toBeCollected()` and `toBeRetained()` on Vitest's `expect`, imported
 * from `vitest` (no `globals: true` needed). Add it to the Vitest config:
 * `test: { setupFiles: ['weakwire/vitest'] }`. An ES module, as Vitest is.
 * @packageDocumentation
 */
import { expect } from 'vitest';
import type { WeakwireMatchers } from './matchers.js';
import * as matchersModule from './matchers.js';

export type { CollectedOptions, RetainedOptions } from './track.js';
export type { WeakwireMatchers } from './matchers.js';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any, @typescript-eslint/no-unused-vars
  interface Matchers<T = any> extends WeakwireMatchers<void> {}
}

expect.extend(matchersModule.matchers);
