/**
 * Loads the native addon once and describes its shape. Everything else is typed code on top.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Counters of live native records. */
export interface Stats {
  /** Objects with at least one pending destructor, counted per registration. */
  trackedObjects: number;
  /** Destructors whose target was collected and whose callback has not run yet. */
  pendingCallbacks: number;
  /** Entries held by all IDWeakMaps of this environment (including ones not yet pruned). */
  mapEntries: number;
}

/** The native counts stats() is made from (src/native/addon.cc). */
export interface NativeStats {
  mapEntries: number;
  /** [slot, generation] pairs of dead registrations waiting for their batch. */
  queued: Uint32Array;
  /** The generation of the last registration (JavaScript's count must agree). */
  generation: number;
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

/** The addon's exports (src/native/addon.cc). Nothing in it can be detached or transferred. */
export interface NativeBinding {
  /**
   * Attaches the finalizer of a new registration in `slot` to target. The registration's
   * generation is the number of track() calls that returned normally so far, masked with
   * generationMask.
   */
  track(target: object, slot: number): void;
  /** Slots must stay below this. */
  slotLimit: number;
  /** Registration generations wrap with this mask (2^28 - 1 where pointers have 64 bits). */
  generationMask: number;
  /** Sets the function that runs a batch of [slot, generation] pairs. */
  setDispatcher(dispatch: (tokens: Uint32Array) => unknown[] | undefined): void;
  stats(): NativeStats;
  IDWeakMap: new () => NativeIDWeakMap;
  /**
   * At this environment's teardown (even a terminated worker's), `cells[index]` becomes 1.
   * Returns the watch's id. The caller must keep `cells` referenced until it unwatches: the
   * native side holds only a pointer into its memory.
   */
  watchTeardown(cells: Int32Array, index: number): number;
  /** Stops a watch (idempotent). */
  unwatchTeardown(id: number): void;
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
  if (override) return loadOverride(override);
  const root = packageRoot();
  try {
    return nodeGypBuild(root) as NativeBinding;
  } catch (error) {
    throw missingBinaryError(root, error);
  }
}

/** Loads the binary WEAKWIRE_NATIVE_PATH names; a failure says that the variable chose it. */
function loadOverride(path: string): NativeBinding {
  if (!existsSync(path)) {
    throw new Error(
      `weakwire: WEAKWIRE_NATIVE_PATH is set to ${JSON.stringify(path)}, but there is no file there. ` +
        'Point it at a built weakwire.node, or unset it to use the prebuilt or locally built addon.',
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path) as NativeBinding;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `weakwire: could not load the addon WEAKWIRE_NATIVE_PATH names (${JSON.stringify(path)}): ${message}`,
      { cause: error },
    );
  }
}

/**
 * node-gyp-build found neither a prebuild for this platform nor a local build. That happens when
 * npm skipped our install script (npm 11 runs dependencies' install scripts only when allowed), so
 * the message says how to build. Any other load error (a broken binary, say) is passed on as is.
 */
function missingBinaryError(root: string, error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (!message.startsWith('No native build was found')) return error;
  const platform = `${process.platform}-${process.arch}`;
  return new Error(
    [
      `weakwire: no prebuilt binary fits this platform (${platform}) and the addon was not built from source.`,
      'npm did not run weakwire\'s install script. Build it in one of two ways:',
      '  1. approve the script in your package.json: "allowScripts": { "weakwire": true }',
      '     (or run `npm install-scripts approve weakwire`), then run `npm rebuild weakwire`;',
      '  2. or build it once now: `npm rebuild weakwire` (needs a C++ compiler, Python and make).',
      `Package folder: ${root}`,
      `node-gyp-build said: ${message.trim()}`,
    ].join('\n'),
    { cause: error },
  );
}

/** The addon for this environment. Node caches it per environment, so every copy of this module
 * (CommonJS, ESM, a test runner's module registry) gets the same object and the same state. */
export const binding: NativeBinding = load();
