/**
 * weakwire/jest: registers `toBeCollected()` and `toBeRetained()` on Jest's `expect`.
 *
 * Add it to the Jest config: `setupFilesAfterEnv: ['weakwire/jest']`, then
 * `await expect(track(obj)).toBeCollected()`. Both matchers are async: always `await` them.
 * The types cover both the global `expect` of `@types/jest` and `expect` from `@jest/globals`.
 * @packageDocumentation
 */
import type {} from 'expect';
import { matchers, type WeakwireMatchers } from './matchers';

export type { CollectedOptions, RetainedOptions } from './track';
export type { WeakwireMatchers } from './matchers';

// Types for @types/jest's global `expect` (what ts-jest projects use).
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> extends WeakwireMatchers<R> {}
  }
}

// Types for `import { expect } from '@jest/globals'`: its matchers are the `expect` package's.
declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<R extends void | Promise<void>, T = unknown> extends WeakwireMatchers<R> {}
}

type Extend = (matchers: Record<string, unknown>) => void;

const jestExpect = (globalThis as { expect?: { extend?: Extend } }).expect;
if (jestExpect === undefined || typeof jestExpect.extend !== 'function') {
  throw new Error(
    'weakwire/jest: no global expect.extend here. Load it from Jest\'s setupFilesAfterEnv ' +
      '(not setupFiles, which run before expect exists); with Vitest use weakwire/vitest; with ' +
      'other test runners use the plain functions of weakwire/testing.',
  );
}
jestExpect.extend(matchers);
