/**
 * The test helpers when the engine stops delivering FinalizationRegistry callbacks (seen in CI: a
 * whole jest process where no cleanup callback ran any more, while WeakRefs were still emptied; a
 * V8 bug of Node 20-24, see docs/leak-testing.md). A Tracker must still see collections, a failure that may come from the stall must say
 * so, and a healthy process must never be called stalled. The stall is simulated with a
 * FinalizationRegistry whose callbacks never run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { forceGC, gcUntil, track, type Tracker } from '../../src/ts/testing';
import { probeFinalizers } from '../../src/ts/testing/finalizer_probe';
import { nextTurn, sleep } from '../../src/ts/testing/gc';

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

test('a loop that asks isCollected(), collects and yields sees the object go', async () => {
  const tracker = trackGarbage();
  // Making the tracker's WeakRef kept the object for the rest of this job.
  await nextTurn();
  for (let i = 0; i < 20 && !tracker.isCollected(); i++) {
    forceGC();
    await sleep(0);
  }
  expect(tracker.isCollected()).toBe(true);
});

test('a Tracker sees a collection even when no FinalizationRegistry callback runs', async () => {
  const testing = stalledTesting();
  const tracker = trackGarbage(testing);
  await expect(tracker.collected({ retainers: false })).resolves.toBeGreaterThanOrEqual(1);
  expect(tracker.isCollected()).toBe(true);
});

test("a Tracker's failure in a stalled realm blames what holds the object, not the engine", async () => {
  const testing = stalledTesting();
  const kept = { kept: true };
  const tracker = testing.track(kept, 'the kept object');
  await expect(tracker.collected({ timeout: 50, retainers: false })).rejects.toThrow(
    /^the kept object was not collected after \d+ GC rounds \(\d+ ms\): something still references it$/,
  );
  expect(kept.kept).toBe(true);
});

test('probeFinalizers: callbacks are delivered in a healthy realm', async () => {
  await expect(probeFinalizers()).resolves.toBe('delivered');
});

// Kept for the life of this file: a registry that dies while it has callbacks pending can stop
// every registry's callbacks in the thread for good (V8 before 13; see docs/leak-testing.md).
const busyRegistries: FinalizationRegistry<number>[] = [];

test('probeFinalizers: a healthy realm busy with other registries is not called stalled', async () => {
  // Two hundred registries whose objects die in the probe's first collection, each with a slow
  // callback: V8 cleans one registry per task, so the probe's callback waits behind them.
  let others = 0;
  (function registerSlowOnes(): void {
    for (let i = 0; i < 200; i++) {
      const registry = new FinalizationRegistry<number>(() => {
        const until = Date.now() + 5;
        while (Date.now() < until);
        others++;
      });
      registry.register({}, i);
      busyRegistries.push(registry);
    }
  })();
  await expect(probeFinalizers()).resolves.toBe('delivered');
  expect(others).toBeGreaterThan(0);
  // Let every slow callback run before the test ends.
  for (let i = 0; i < 500 && others < 200; i++) await sleep(10);
  expect(others).toBe(200);
});

test('probeFinalizers: a collected object whose callback never runs is a stall', async () => {
  stallFinalizers();
  await expect(probeFinalizers()).resolves.toBe('stalled');
});

test('probeFinalizers: without FinalizationRegistry there is nothing to tell', async () => {
  (globalThis as { FinalizationRegistry: unknown }).FinalizationRegistry = undefined;
  await expect(probeFinalizers()).resolves.toBe('inconclusive');
});

test("gcUntil's failure names a finalizer stall as a possible cause", async () => {
  stallFinalizers();
  await expect(gcUntil(() => false, { attempts: 2 })).rejects.toThrow(
    /^gcUntil: predicate still false after 2 GC rounds \(\d+ ms\)\nFinalizationRegistry callbacks are not being delivered in this thread: .* If the predicate waits for such a callback/s,
  );
});

test("gcUntil's failure in a healthy realm has no such note", async () => {
  await expect(gcUntil(() => false, { attempts: 2 })).rejects.toThrow(
    /^gcUntil: predicate still false after 2 GC rounds \(\d+ ms\)$/,
  );
});

describe("the project's Jest set-up (test/finalizer_watch.ts)", () => {
  const repo = join(__dirname, '..', '..');
  let output = '';
  let status: number | null = null;

  beforeAll(() => {
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
    output = child.stdout + child.stderr;
    status = child.status;
  });

  test('fails the test file during which finalizers stalled', () => {
    expect(output).toMatch(/FAIL \S*stalled\.spec\.js/);
    expect(output).toMatch(/FinalizationRegistry callbacks stopped being delivered in this process, during this test file/);
    expect(status).toBe(1);
  });

  test('passes a file whose own collections reported its registration, without probing', () => {
    expect(output).toMatch(/PASS \S*reported_then_stalled\.spec\.js/);
  });

  test('passes a healthy file', () => {
    expect(output).toMatch(/PASS \S*healthy\.spec\.js/);
    expect(output).toMatch(/Test Suites: 1 failed, 2 passed, 3 total/);
  });
});
