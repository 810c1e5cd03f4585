import { stats } from '../../src/ts';
import { stats as portableStats } from '../../src/ts/portable';
import { isTracker, track, type Tracker } from '../../src/ts/testing';

let tracker7: Tracker | undefined;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openSession, LeakyCache, FixedCache } = require('../fixtures/testing/session_cache.js');

function trackGarbage(label?: string): Tracker {
  return track({ payload: new Array(100).fill(0) }, label);
}

describe('track', () => {
  test('the tracker itself does not keep the object alive', async () => {
    const tracker = trackGarbage();
    await expect(tracker.collected()).resolves.toBeGreaterThanOrEqual(1);
    expect(tracker.isCollected()).toBe(true);
  });

  test('isCollected() is false while the object is referenced', async () => {
    const kept = { kept: true };
    const tracker = track(kept);
    const result = await tracker.retained({ rounds: 3 });
    expect(result).toMatchObject({ collected: false, rounds: 3 });
    expect(tracker.isCollected()).toBe(false);
    expect(kept.kept).toBe(true);
  });

  test('collected() fails with the label and how many GC rounds were tried', async () => {
    const kept = {};
    const tracker = track(kept, 'the session');
    await expect(tracker.collected({ timeout: 50, retainers: false })).rejects.toThrow(
      /^the session was not collected after \d+ GC rounds \(\d+ ms\): something still references it$/,
    );
    expect(kept).toBeDefined();
  });

  test('collected() fails with the path of references that keeps the object alive', async () => {
    const cache = new Map<string, object>();
    (() => {
      const session = { id: 7 };
      cache.set('s7', session);
      tracker7 = track(session, 'session 7');
    })();
    const error = await tracker7!.collected({ timeout: 50 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const lines = (error as Error).message.split('\n');
    expect(lines[1]).toBe('retained through:');
    // The end of the path names the culprit: the Map, its entry, the object.
    expect(lines.slice(-2)).toEqual(['    variable cache -> Map', '    entry -> Object  <- session 7']);
    expect(cache.size).toBe(1);
  });

  test('explain() names a property chain from a global, one reference per line', async () => {
    const holder = { sessions: [{ id: 8 }] };
    (globalThis as { weakwireExplainTest?: object }).weakwireExplainTest = holder;
    try {
      const path = await track(holder.sessions[0], 'session 8').explain();
      expect(path).toEqual(['global', '  .weakwireExplainTest -> Object', '  .sessions -> Array', '  [0] -> Object  <- session 8']);
    } finally {
      delete (globalThis as { weakwireExplainTest?: object }).weakwireExplainTest;
    }
  });

  test('collected() tries at least 3 rounds even with timeout 0', async () => {
    const kept = {};
    const result = await track(kept).waitForCollection({ timeout: 0 });
    expect(result).toMatchObject({ collected: false, rounds: 3 });
  });

  test('retained() stops early and reports the round when the object is collected', async () => {
    const result = await trackGarbage().retained({ rounds: 50 });
    expect(result.collected).toBe(true);
    expect(result.rounds).toBeLessThan(50);
  });

  test('a tracker needs no backend: it adds no record to stats() of either one', () => {
    const before = [stats(), portableStats()];
    const kept = {};
    track(kept);
    expect([stats(), portableStats()]).toEqual(before);
  });

  test('catches a session kept by a leaky cache, and passes once the cache is fixed', async () => {
    const leaky = new LeakyCache();
    const fixed = new FixedCache();
    let leakyTracker: Tracker | undefined;
    let fixedTracker: Tracker | undefined;
    (() => {
      const a = openSession(1);
      leaky.remember(a);
      leakyTracker = track(a, 'session 1 (leaky cache)');
      const b = openSession(2);
      fixed.remember(b);
      fixedTracker = track(b, 'session 2 (fixed cache)');
    })();
    await expect(fixedTracker!.collected()).resolves.toBeGreaterThanOrEqual(1);
    expect(fixed.get(2)).toBeUndefined();
    await expect(leakyTracker!.collected({ timeout: 100 })).rejects.toThrow(
      /^session 1 \(leaky cache\) was not collected after \d+ GC rounds/,
    );
    expect(leaky.get(1)).toMatchObject({ id: 1 });
  });

  test('isTracker recognises trackers only', () => {
    expect(isTracker(track({}))).toBe(true);
    expect(isTracker({ isCollected: () => true })).toBe(false);
    expect(isTracker(null)).toBe(false);
  });

  test('bad input is a TypeError naming the argument', async () => {
    expect(() => track(1 as unknown as object)).toThrow(
      new TypeError('track: target must be an object or a function; got number'),
    );
    expect(() => track(null as unknown as object)).toThrow(
      new TypeError('track: target must be an object or a function; got null'),
    );
    expect(() => track({}, 5 as unknown as string)).toThrow(
      new TypeError('track: label must be a string; got number'),
    );
    await expect(track({}).collected({ timeout: -1 })).rejects.toThrow(
      new TypeError('Tracker.collected: options.timeout must be a non-negative number; got -1'),
    );
    await expect(track({}).retained({ rounds: 1.5 })).rejects.toThrow(
      new TypeError('Tracker.retained: options.rounds must be a positive integer; got 1.5'),
    );
  });
});
