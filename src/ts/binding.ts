/**
 * Loads the native addon once and describes its shape. Everything else is typed code on top.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Counters of live native records in this environment. */
export interface Stats {
  /** Objects with at least one pending destructor, counted per registration. */
  trackedObjects: number;
  /** Destructors whose target was collected and whose callback has not run yet. */
  pendingCallbacks: number;
  /** Entries held by all IDWeakMaps of this environment (including ones not yet pruned). */
  mapEntries: number;
}

/** The native IDWeakMap; the public class in id_weak_map.ts wraps it. */
export interface NativeIDWeakMap {
  set(key: number | string, value: object): unknown;
  get(key: number | string): object | undefined;
  has(key: number | string): boolean;
  delete(key: number | string): boolean;
  clear(): void;
  size(): number;
  keys(): Array<number | string>;
}

/** The addon's exports (src/native/addon.cc). */
export interface NativeBinding {
  track(target: object): number;
  untrack(slot: number): boolean;
  setDispatcher(dispatch: (slots: Uint32Array) => unknown[] | undefined): void;
  stats(): Stats;
  IDWeakMap: new () => NativeIDWeakMap;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;

/** The package root: the nearest folder above this file with a package.json (dist/ or src/ts/). */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function load(): NativeBinding {
  // WEAKWIRE_NATIVE_PATH selects a specific binary (a sanitizer or cmake-js build) for testing.
  const override = typeof process !== 'undefined' ? process.env.WEAKWIRE_NATIVE_PATH : undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (override) return require(override) as NativeBinding;
  return nodeGypBuild(packageRoot()) as NativeBinding;
}

/** The addon for this environment. Node caches it per environment, so every copy of this module
 * (CommonJS, ESM, a test runner's module registry) gets the same object and the same state. */
export const binding: NativeBinding = load();
