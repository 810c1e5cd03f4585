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
    expect(report.samples).toHaveLength(7);
    expect(report.samples[0].calls).toBe(0);
    // A fast fn gets many calls: as many as fit the 100 ms budget, between 1,000 and 50,000.
    expect(report.iterations).toBeGreaterThanOrEqual(1000);
    expect(report.iterations).toBeLessThanOrEqual(50_000);
    expect(report.samples[6].calls).toBe(report.iterations);
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
    const report = await expectNoLeak(
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        calls++;
      },
      { iterations: 100, warmup: 10 },
    );
    // Every call awaited: the warm-up, the measured calls (doubled if the run was inconclusive).
    expect(calls).toBe(10 + report.iterations);
    expect(report.iterations).toBe(report.extended ? 200 : 100);
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
      expectNoLeak((i) => cache.remember(openSession(i)), { label: 'LeakyCache.remember', explain: true }),
    );
    expect(error.message).toMatch(
      /^expectNoLeak: LeakyCache\.remember keeps growing over \d+ calls (\(two runs\) )?\(after 100 warm-up calls\):/,
    );
    expect(error.message).toMatch(/LEAK JS heap: [\d.]+ MiB -> [\d.]+ MiB \([\d.]+ B\/call; trend .*\(p [<=] [\d.]+\)\)/);
    // Two heap snapshots name what grew per call, and the path to one new session.
    expect(error.message).toMatch(/grew per call \(two heap snapshots, after more calls\):\n {4}Object: \+1\.\d\d objects/);
    expect(error.message).toMatch(/one new Object is retained through:\n[^]*variable cache -> LeakyCache\n\s+\.#byId -> Map\n\s+entry -> Object {2}<- a new Object/);
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
      }, { explain: false }),
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
      }, { iterations: 200, warmup: 20, explain: false }),
    );
    map.clear();
    expect(figure(error.report, 'mapEntries').growing).toBe(true);
    expect(error.message).toMatch(/LEAK stats\(\)\.mapEntries: \d+ -> \d+/);
  });

  test('Buffers kept forever show up in external memory', async () => {
    const kept: Buffer[] = [];
    const error = await leakReport(expectNoLeak(() => kept.push(Buffer.alloc(1024)), { explain: false }));
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
        { iterations: 40, warmup: 0, statsTolerance: 39, explain: false },
      ),
    );
    kept.length = 0;
    expect(figure(error.report, 'trackedObjects').reason).toBe('+40 records, still rising in the second half');
  });
});

describe('expectNoLeak explanations stay inside a test timeout', () => {
  test('by default a failing check that already ran 2 s skips its heap snapshots, and says so', async () => {
    const kept: object[] = [];
    const error = await leakReport(
      expectNoLeak(
        async (i) => {
          kept.push({ i, payload: 'x'.repeat(100) });
          if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 60)); // a slow path
        },
        { iterations: 20_000 },
      ),
    );
    expect(error.report.growth).toBeUndefined();
    expect(error.report.growthNote).toMatch(/^no heap snapshots taken: the check had already run \d+\.\d s/);
    expect(error.message).toContain('pass explain: true, and a longer test timeout, to name what grew');
    kept.length = 0;
  });
});

describe('expectNoLeak sensitivity', () => {
  test('a leak of 16-40 B per call (Map.set(i, i)) fails with the default options', async () => {
    const seen = new Map<number, number>();
    const error = await leakReport(expectNoLeak((i) => void seen.set(i, i), { label: 'Map.set', explain: false }));
    const heap = figure(error.report, 'heapBytes');
    expect(heap.growing).toBe(true);
    expect(heap.perCall).toBeGreaterThan(8);
    expect(error.report.iterations).toBeGreaterThanOrEqual(20_000);
    seen.clear();
  });

  test('a one-off step in the middle of the run (a table filled once) is not a leak', async () => {
    let table: number[] | undefined;
    const report = await expectNoLeak(
      (i) => {
        if (i === 1600) table = new Array(100_000).fill(1.5); // ~800 KiB, once
      },
      { iterations: 3000, label: 'one-off step' },
    );
    const heap = figure(report, 'heapBytes');
    expect(heap.growing).toBe(false);
    expect(heap.reason).toMatch(/a one-off step|<= 8/);
    expect(table).toHaveLength(100_000);
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
    await expect(expectNoLeak(() => {}, { timeBudget: -1 })).rejects.toThrow(
      new TypeError('expectNoLeak: options.timeBudget must be a non-negative number; got -1'),
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
