/**
 * expectNoLeak: one case that passes, one that catches a leak, and bad input. The other cases run
 * in `npm run test:slow` (no_leak.slow.test.ts): each takes seconds.
 */
import { expectNoLeak } from '../../src/ts/testing';
import { figure, leakReport, releaseWhatLeakingTestsKept } from './no_leak_helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openSession, LeakyCache } = require('../fixtures/testing/session_cache.js');

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
});

describe('expectNoLeak catches a leak', () => {
  releaseWhatLeakingTestsKept();

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
