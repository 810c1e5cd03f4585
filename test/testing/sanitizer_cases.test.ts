// The hard cases for the native code's memory safety. They pass on any build, but they exist to
// run under `npm run test:asan` (AddressSanitizer, UBSan, LeakSanitizer), where a use-after-free
// or a leak in these paths is reported even when the JavaScript-visible result looks right.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { IDWeakMap, setDestructor, stats } from '../../src/ts';
import { forceGC, gcUntil } from '../../src/ts/testing';

const dist = join(__dirname, '..', '..', 'dist');
const fixture = join(__dirname, '..', 'fixtures', 'testing', 'worker_dying_with_finalizers.js');

const noop = (): void => {};
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Records other test files may still hold when this one starts (Jest runs files in one process).
let baseline = { trackedObjects: 0, pendingCallbacks: 0, mapEntries: 0 };

beforeAll(async () => {
  await gcUntil(() => stats().pendingCallbacks === 0);
  baseline = stats();
});

async function settledStats(): Promise<void> {
  await gcUntil(() => {
    const s = stats();
    return (
      s.trackedObjects <= baseline.trackedObjects &&
      s.pendingCallbacks === 0 &&
      s.mapEntries <= baseline.mapEntries
    );
  });
}

describe('a weak map collected before its values', () => {
  afterEach(settledStats);

  test('map and values die in the same collection', async () => {
    (() => {
      for (let m = 0; m < 50; m++) {
        const map = new IDWeakMap<number | string, object>();
        for (let i = 0; i < 200; i++) map.set(i % 2 === 0 ? i : `k${i}`, { i });
      }
    })();
    forceGC();
    await settledStats();
  });

  test('values collected first, then the map, before any finalizer ran', async () => {
    let values: object[] | undefined = Array.from({ length: 2000 }, (_, i) => ({ i }));
    let map: IDWeakMap<number, object> | undefined = new IDWeakMap<number, object>();
    values.forEach((v, i) => map!.set(i, v));
    // Both collections happen in this synchronous block: the values' finalizers are due when
    // the map goes, so the map must not leave them pointing at freed cells.
    values = undefined;
    forceGC();
    map = undefined;
    forceGC();
    await settledStats();
  });

  test('map collected while its values live; values die later', async () => {
    let values: object[] | undefined = Array.from({ length: 2000 }, (_, i) => ({ i }));
    (() => {
      const map = new IDWeakMap<number, object>();
      values!.forEach((v, i) => map.set(i, v));
    })();
    await gcUntil(() => stats().mapEntries === 0);
    values = undefined;
    forceGC();
    await turn();
    forceGC();
    await settledStats();
  });

  test('a value overwritten, deleted and cleared while its finalizer is due', async () => {
    const map = new IDWeakMap<number, object>();
    (() => {
      for (let i = 0; i < 300; i++) map.set(i, { i });
    })();
    forceGC(); // every value is now dead, finalizers pending
    for (let i = 0; i < 100; i++) map.set(i, { fresh: i }); // overwrite dead entries
    for (let i = 100; i < 200; i++) map.delete(i);
    expect(map.size).toBe(100);
    map.clear();
    await settledStats();
  });
});

describe('destructors cancelled from inside other callbacks', () => {
  afterEach(settledStats);

  test('a callback cancels its own registration while it runs', async () => {
    const results: boolean[] = [];
    const cancels: Array<() => boolean> = [];
    (() => {
      for (let i = 0; i < 100; i++) cancels.push(setDestructor({}, (n: number) => results.push(cancels[n]()), i));
    })();
    await gcUntil(() => results.length === 100);
    expect(results.every((r) => r === false)).toBe(true);
  });

  test('callbacks cancel queued ones, live ones, and register new ones into the freed slots', async () => {
    const kept = Array.from({ length: 100 }, (_, i) => ({ kept: i }));
    const keptCancels = kept.map((o) => setDestructor(o, noop));
    const dying: Array<() => boolean> = [];
    let ran = 0;
    let reborn = 0;
    (() => {
      for (let i = 0; i < 200; i++) {
        dying.push(
          setDestructor(
            {},
            (n: number) => {
              ran++;
              dying[(n + 1) % dying.length](); // a queued neighbour, maybe in this batch
              keptCancels[n % keptCancels.length](); // a live one: its slot is freed now
              setDestructor({}, () => reborn++); // may reuse that slot at once
            },
            i,
          ),
        );
      }
    })();
    await gcUntil(() => ran > 0 && stats().pendingCallbacks === 0 && ran === reborn);
    expect(ran).toBeGreaterThanOrEqual(100);
    expect(kept).toHaveLength(100);
    // The callbacks above close over `kept`: cancel what is left so the cycle is broken.
    keptCancels.forEach((cancel) => cancel());
  });

  test('cancel around collection and dispatch, for thousands of slots: each runs or is cancelled once', async () => {
    const cancels: Array<() => boolean> = [];
    let ran = 0;
    let cancelled = 0;
    (() => {
      for (let i = 0; i < 5000; i++) cancels.push(setDestructor({}, () => ran++));
    })();
    forceGC(); // the deaths are recorded on a later turn: cancel half before that, half after
    cancels.slice(0, 2500).forEach((cancel) => (cancelled += cancel() ? 1 : 0));
    await turn();
    cancels.slice(2500).forEach((cancel) => (cancelled += cancel() ? 1 : 0));
    await settledStats();
    expect(ran + cancelled).toBe(5000);
    expect(cancels.every((cancel) => cancel() === false)).toBe(true);
  });
});

describe('worker termination with native work pending', () => {
  test('terminate() while finalizers and destructor batches are due', async () => {
    const before = stats();
    for (let round = 0; round < 5; round++) {
      const worker = new Worker(fixture, { workerData: { dist, mode: 'terminate' } });
      await once(worker, 'message');
      expect(await worker.terminate()).toBe(1);
    }
    // Nothing of the workers' shows up here (other test files' garbage may still shrink it).
    const after = stats();
    expect(after.trackedObjects).toBeLessThanOrEqual(before.trackedObjects);
    expect(after.mapEntries).toBeLessThanOrEqual(before.mapEntries);
  });

  // Terminating a worker makes Node-API calls in flight fail; node-addon-api must not turn that
  // into a C++ exception that escapes (NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS in binding.gyp
  // and CMakeLists.txt). Runs in a child process so an abort cannot take the test runner down.
  test('terminate() while the worker is inside a native call does not abort the process', () => {
    const asanOptions = (process.env.ASAN_OPTIONS ?? '')
      .split(':')
      .filter((option) => !option.startsWith('log_path='))
      .join(':');
    const child = spawnSync(
      process.execPath,
      [join(__dirname, '..', 'fixtures', 'testing', 'terminate_in_native_call.js'), dist, '100'],
      { encoding: 'utf8', timeout: 120000, env: { ...process.env, ASAN_OPTIONS: asanOptions } },
    );
    expect(child.stderr).not.toMatch(/terminate called/);
    expect(child.signal).toBeNull();
    expect(child.stdout).toContain('survived 100 terminations');
  });

  test('process.exit() inside the worker with the same work pending', async () => {
    for (let round = 0; round < 5; round++) {
      const worker = new Worker(fixture, { workerData: { dist, mode: 'exit' } });
      const [code] = await once(worker, 'exit');
      expect(code).toBe(0);
    }
  });
});
