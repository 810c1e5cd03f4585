import { IDWeakMap, setDestructor, stats } from '../../src/ts';
import { expectNoLeak, gcUntil, LeakError, type LeakReport } from '../../src/ts/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openSession, LeakyCache, FixedCache } = require('../fixtures/testing/session_cache.js');

async function leakReport(run: Promise<unknown>): Promise<LeakError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LeakError)) throw new Error(`expected a LeakError, got ${String(error)}`);
  return error;
}

// Destructor callbacks live as long as their target. One created inside a test would keep the
// test's variables (like a `kept` array) alive with it: a cycle through the destructor table that
// no collection can break. So the callbacks here come from module scope.
const noop = (): void => {};

function figure(report: LeakReport, metric: string) {
  return report.figures.find((f) => f.metric === metric)!;
}

describe('expectNoLeak passes', () => {
  test('code that leaves nothing behind, with the figures it measured', async () => {
    const report = await expectNoLeak(() => JSON.parse(JSON.stringify({ a: [1, 2, 3] })));
    expect(report.leaking).toBe(false);
    expect(report.samples).toHaveLength(10);
    expect(report.samples[0].calls).toBe(0);
    expect(report.samples[9].calls).toBe(1000);
    expect(report.figures.map((f) => f.metric)).toEqual([
      'trackedObjects',
      'pendingCallbacks',
      'mapEntries',
      'heapBytes',
      'externalBytes',
    ]);
  });

  test('destructors and weak maps whose objects all die', async () => {
    await expectNoLeak(() => {
      const map = new IDWeakMap<number, object>();
      for (let i = 0; i < 5; i++) {
        const value = { i };
        map.set(i, value);
        setDestructor(value, noop);
      }
    });
  });

  test('a bounded cache that fills up early and then stays flat', async () => {
    // Full within the 100 warm-up calls: a bound of 300 kept it growing through the first 200
    // measured calls (~60 KiB), right at the 64 KiB noise floor, and the test failed at random.
    const cache = new Map<number, object>();
    await expectNoLeak((i) => {
      cache.set(i, { payload: 'x'.repeat(200) });
      if (cache.size > 50) cache.delete(cache.keys().next().value!);
    });
  });

  test('an async function, awaited each call', async () => {
    let calls = 0;
    await expectNoLeak(
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        calls++;
      },
      { iterations: 100, warmup: 10 },
    );
    expect(calls).toBe(110);
  });

  test('the fixed session cache', async () => {
    const cache = new FixedCache();
    await expectNoLeak((i) => {
      const session = openSession(i);
      cache.remember(session);
      cache.get(i);
    });
  });
});

describe('expectNoLeak catches a leak', () => {
  // What the leaking tests kept must be gone again, or later test files would see it. (Records
  // other test files left behind may still be there: Jest runs files in one process.)
  let before = { trackedObjects: 0, mapEntries: 0 };
  beforeEach(() => {
    before = stats();
  });
  afterEach(async () => {
    await gcUntil(
      () => stats().trackedObjects <= before.trackedObjects && stats().mapEntries <= before.mapEntries,
    );
  });

  test('the leaky session cache fails, with the heap figures in the message', async () => {
    const cache = new LeakyCache();
    const error = await leakReport(
      expectNoLeak((i) => cache.remember(openSession(i)), { label: 'LeakyCache.remember' }),
    );
    expect(error.message).toMatch(
      /^expectNoLeak: LeakyCache\.remember keeps growing over 1000 calls \(after 100 warm-up calls\):/,
    );
    expect(error.message).toMatch(/LEAK JS heap: [\d.]+ MiB -> [\d.]+ MiB \([\d.]+ B\/call; trend/);
    expect(error.message).toContain('samples (calls, JS heap, external, stats tracked/pending/mapEntries):');
    const heap = figure(error.report, 'heapBytes');
    expect(heap.growing).toBe(true);
    // Each session is a few hundred bytes: the trend must show it.
    expect(heap.perCall).toBeGreaterThan(200);
  });

  test('objects kept alive with destructors show up in stats().trackedObjects', async () => {
    const kept: object[] = [];
    const error = await leakReport(
      expectNoLeak(() => {
        const o = {};
        setDestructor(o, noop);
        kept.push(o);
      }),
    );
    kept.length = 0;
    const tracked = figure(error.report, 'trackedObjects');
    expect(tracked.growing).toBe(true);
    expect(tracked.perCall).toBeCloseTo(1, 2);
    expect(error.message).toMatch(
      /LEAK stats\(\)\.trackedObjects: \d+ -> \d+ \(1\.000\/call; \+\d+ records, still rising in the second half\)/,
    );
  });

  test('weak map entries that never die show up in stats().mapEntries', async () => {
    const map = new IDWeakMap<number, object>();
    const kept: object[] = [];
    const error = await leakReport(
      expectNoLeak((i) => {
        const o = {};
        kept.push(o);
        map.set(i, o);
      }, { iterations: 200, warmup: 20 }),
    );
    map.clear();
    expect(figure(error.report, 'mapEntries').growing).toBe(true);
    expect(error.message).toMatch(/LEAK stats\(\)\.mapEntries: \d+ -> \d+/);
  });

  test('Buffers kept forever show up in external memory', async () => {
    const kept: Buffer[] = [];
    const error = await leakReport(expectNoLeak(() => kept.push(Buffer.alloc(1024))));
    const external = figure(error.report, 'externalBytes');
    expect(external.growing).toBe(true);
    expect(external.perCall).toBeGreaterThan(900);
    expect(error.message).toMatch(/LEAK external memory: /);
  });

  test('statsTolerance allows a fixed number of extra records', async () => {
    const kept: object[] = [];
    const error = await leakReport(
      expectNoLeak(
        () => {
          const o = {};
          setDestructor(o, noop);
          kept.push(o);
        },
        { iterations: 40, warmup: 0, statsTolerance: 39 },
      ),
    );
    kept.length = 0;
    expect(figure(error.report, 'trackedObjects').reason).toBe('+40 records, still rising in the second half');
  });
});

describe('expectNoLeak bad input', () => {
  test('is a TypeError naming the argument', async () => {
    await expect(expectNoLeak(undefined as unknown as () => void)).rejects.toThrow(
      new TypeError('expectNoLeak: fn must be a function; got undefined'),
    );
    await expect(expectNoLeak(() => {}, { iterations: 0 })).rejects.toThrow(
      new TypeError('expectNoLeak: options.iterations must be an integer >= 1; got 0'),
    );
    await expect(expectNoLeak(() => {}, { samples: 3 })).rejects.toThrow(
      new TypeError('expectNoLeak: options.samples must be an integer >= 4; got 3'),
    );
    await expect(expectNoLeak(() => {}, { minBytes: -1 })).rejects.toThrow(
      new TypeError('expectNoLeak: options.minBytes must be a non-negative number; got -1'),
    );
    await expect(expectNoLeak(() => {}, { iterations: 2, samples: 10 })).rejects.toThrow(
      new TypeError('expectNoLeak: options.iterations (2) must be at least options.samples - 1 (9)'),
    );
    await expect(expectNoLeak(() => {}, null as unknown as object)).rejects.toThrow(
      new TypeError('expectNoLeak: options must be an object; got null'),
    );
  });
});
