/**
 * The registrations the remote module makes per proxy: `setDestructor` without a cancel
 * function, cancelled in bulk by callback when a session closes.
 */
import * as nativeBackend from '../../src/ts/backend';
import * as portableBackend from '../../src/ts/portable/weak_handle';
import { stats as nativeStats } from '../../src/ts';
import { stats as portableStats } from '../../src/ts/portable';
import { gcUntil } from '../../src/ts/testing';

const BACKENDS = [
  ['native', nativeBackend, nativeStats],
  ['portable', portableBackend, portableStats],
] as const;

describe.each(BACKENDS)('%s backend', (_name, { watchCollection, cancelWatches }, stats) => {
  afterEach(async () => {
    await gcUntil(() => stats().trackedObjects === 0 && stats().pendingCallbacks === 0);
  });

  test('watchCollection calls the callback with the held value after the target is collected', async () => {
    const calls: unknown[] = [];
    const callback = (held: string) => calls.push(held);
    (() => watchCollection({}, callback, 'held-value'))();
    await gcUntil(() => calls.length === 1);
    expect(calls).toEqual(['held-value']);
  });

  test('cancelWatches cancels the registrations of its callback only', async () => {
    const cancelledCalls: number[] = [];
    const keptCalls: number[] = [];
    const cancelled = (held: number) => cancelledCalls.push(held);
    const kept = (held: number) => keptCalls.push(held);
    let targets: object[] = [{}, {}, {}, {}, {}];
    const before = stats().trackedObjects;
    targets.forEach((target, i) => watchCollection(target, i < 3 ? cancelled : kept, i));
    expect(cancelWatches(cancelled)).toBe(3);
    expect(stats().trackedObjects).toBe(before + 2);
    expect(cancelWatches(cancelled)).toBe(0);
    targets = [];
    // The kept registrations ran: their targets were collected along with the cancelled ones.
    await gcUntil(() => keptCalls.length === 2);
    expect(keptCalls.sort()).toEqual([3, 4]);
    expect(cancelledCalls).toEqual([]);
    expect(targets).toHaveLength(0);
  });

  test('cancelWatches of a callback that registered nothing cancels nothing', () => {
    const target = {};
    const calls: unknown[] = [];
    watchCollection(target, (held) => calls.push(held), 1);
    expect(cancelWatches(() => {})).toBe(0);
    expect(stats().trackedObjects).toBeGreaterThanOrEqual(1);
    expect(cancelWatches((held: unknown) => calls.push(held))).toBe(0);
    expect(target).toBeDefined();
  });
});
