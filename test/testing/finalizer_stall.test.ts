/**
 * The test helpers when the engine stops delivering FinalizationRegistry callbacks (seen once in
 * CI: a whole jest process where no cleanup callback ran any more, while WeakRefs were still
 * emptied). A Tracker must still see collections, and a failure must name the stall as its cause.
 * The stall is simulated with a FinalizationRegistry whose callbacks never run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { forceGC, gcUntil, track, type Tracker } from '../../src/ts/testing';
import { nextTurn } from '../../src/ts/testing/gc';
import { probeFinalizers } from '../../src/ts/testing/finalizer_probe';

type Testing = typeof import('../../src/ts/testing');

const RealRegistry = globalThis.FinalizationRegistry;

/** Registers nothing: what a realm looks like when cleanup tasks no longer run. */
class StalledRegistry<T> {
  constructor(_callback: (held: T) => void) {}
  register(): void {}
  unregister(): boolean {
    return false;
  }
}

function stallFinalizers(): void {
  (globalThis as { FinalizationRegistry: unknown }).FinalizationRegistry = StalledRegistry;
}

afterEach(() => {
  globalThis.FinalizationRegistry = RealRegistry;
});

/** A fresh copy of weakwire/testing, loaded while finalizers are stalled. */
function stalledTesting(): Testing {
  stallFinalizers();
  let testing: Testing | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    testing = require('../../src/ts/testing') as Testing;
  });
  return testing!;
}

// Its own frame, so the caller's stack holds nothing but the tracker.
function trackGarbage(testing: Pick<Testing, 'track'> = { track }): Tracker {
  return testing.track({ garbage: true }, 'the garbage');
}

test('isCollected() is true right after a synchronous forceGC that collected the object', async () => {
  const tracker = trackGarbage();
  // Making the tracker's WeakRef kept the object for the rest of this job.
  await nextTurn();
  forceGC();
  expect(tracker.isCollected()).toBe(true);
});

test('a Tracker sees a collection even when no FinalizationRegistry callback runs', async () => {
  const testing = stalledTesting();
  const tracker = trackGarbage(testing);
  await expect(tracker.collected({ retainers: false })).resolves.toBeGreaterThanOrEqual(1);
  expect(tracker.isCollected()).toBe(true);
});

test('probeFinalizers: callbacks are delivered in a healthy realm', async () => {
  await expect(probeFinalizers()).resolves.toBe('delivered');
});

test('probeFinalizers: a collected object whose callback never runs is a stall', async () => {
  stallFinalizers();
  await expect(probeFinalizers()).resolves.toBe('stalled');
});

test("gcUntil's failure names a finalizer stall as the cause", async () => {
  stallFinalizers();
  await expect(gcUntil(() => false, { attempts: 2 })).rejects.toThrow(
    /^gcUntil: predicate still false after 2 GC rounds \(\d+ ms\)\nFinalizationRegistry callbacks are not being delivered in this thread/,
  );
});

test("gcUntil's failure in a healthy realm has no such note", async () => {
  await expect(gcUntil(() => false, { attempts: 2 })).rejects.toThrow(
    /^gcUntil: predicate still false after 2 GC rounds \(\d+ ms\)$/,
  );
});

test("a Tracker's failure names a finalizer stall as the cause", async () => {
  const testing = stalledTesting();
  const kept = { kept: true };
  const tracker = testing.track(kept, 'the kept object');
  await expect(tracker.collected({ timeout: 50, retainers: false })).rejects.toThrow(
    /^the kept object was not collected after \d+ GC rounds \(\d+ ms\): something still references it\nFinalizationRegistry callbacks are not being delivered/,
  );
  expect(kept.kept).toBe(true);
});

test("the project's Jest set-up fails the test file during which finalizers stalled", () => {
  const repo = join(__dirname, '..', '..');
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      join(repo, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--config',
      join(repo, 'test', 'fixtures', 'testing', 'finalizer_watch_project', 'jest.config.js'),
      '--ci',
    ],
    { cwd: repo, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } },
  );
  const output = child.stdout + child.stderr;
  expect(output).toMatch(/FAIL \S*stalled\.spec\.js/);
  expect(output).toMatch(/FinalizationRegistry callbacks stopped being delivered in this process, during this test file/);
  expect(output).toMatch(/PASS \S*healthy\.spec\.js/);
  expect(output).toMatch(/Test Suites: 1 failed, 1 passed, 2 total/);
  expect(child.status).toBe(1);
});
