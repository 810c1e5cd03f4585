/**
 * release(), FREE batching and session end, in one process over a real MessageChannel.
 */
import { stats as nativeStats } from '../../src/ts';
import { release, RemoteServer } from '../../src/ts/remote';
import { gcUntil } from '../../src/ts/testing';
import { asyncPair, type Pair } from './pair';
import { watchUnhandledRejections } from './unhandled_rejections';

class Thing {
  hello(): string {
    return 'hello';
  }
}

let pair: Pair;
let server: RemoteServer;
const tools = {
  thing: new Thing(),
  make: () => new Thing(),
  never: () => new Promise(() => {}),
};

beforeEach(() => {
  server = new RemoteServer({ modules: { tools: () => tools } });
  pair = asyncPair(server);
});
afterEach(() => pair.close());

describe('release()', () => {
  test('frees the object on the server at once, whatever the receipt count', async () => {
    const proxy = await pair.remote.require('tools');
    const thing = await proxy.thing;
    for (let i = 0; i < 5; i++) await proxy.thing; // cache hits: the same, live proxy
    expect(server.stats()).toEqual({ sessions: 1, objects: 2, references: 7 });
    expect(release(thing)).toBe(true);
    await gcUntil(() => server.stats().objects === 1);
    expect(server.stats().references).toBe(1);
  });

  test('is idempotent, and a released proxy rejects with a clear error', async () => {
    const proxy = await pair.remote.require('tools');
    const thing = await proxy.thing;
    expect(release(thing)).toBe(true);
    expect(release(thing)).toBe(false);
    await expect(thing.hello()).rejects.toThrow(/Remote object #2 was released and can no longer be used/);
    const again = await proxy.thing; // a new receipt gives a new, working proxy
    expect(again === thing).toBe(false);
    expect(await again.hello()).toBe('hello');
  });

  test('refuses what is not a remote proxy', () => {
    expect(() => release({})).toThrow(new TypeError('release: proxy must be a remote-object proxy'));
    expect(() => release(null as never)).toThrow(TypeError);
  });
});

describe('FREE batching', () => {
  test('2,000 proxies collected together are freed by a few messages', async () => {
    const proxy = await pair.remote.require('tools');
    await (async () => {
      const things = [];
      for (let i = 0; i < 2000; i++) things.push(await proxy.make());
      expect(pair.remote.stats().proxies).toBe(2001);
    })();
    expect(server.stats().objects).toBe(2001);
    await gcUntil(() => server.stats().objects === 1, { attempts: 200 });
    const stats = pair.remote.stats();
    expect(stats.proxiesCreated).toBe(2001);
    expect(stats.freeMessagesSent).toBeGreaterThanOrEqual(1);
    expect(stats.freeMessagesSent).toBeLessThanOrEqual(10);
    expect(pair.session.freeMessagesReceived).toBe(stats.freeMessagesSent);
  });
});

describe('session end', () => {
  test('a pending call rejects with a clear error when the server closes the session', async () => {
    const proxy = await pair.remote.require('tools');
    const pending = proxy.never();
    pair.session.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
    await expect(pending).rejects.toThrow(/Remote session closed \(the peer closed the session\)/);
  });

  test('a call answered with a promise that the closing session rejects is never an unhandled rejection, even awaited late', async () => {
    const proxy = await pair.remote.require('tools');
    const pending = proxy.never(); // answered at once with the server's (never settled) promise
    await gcUntil(() => pair.remote.stats().pendingPromises === 1);
    const watch = watchUnhandledRejections();
    try {
      pair.session.close();
      await gcUntil(() => pair.remote.closed);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(watch.reasons).toEqual([]);
    } finally {
      watch.stop();
    }
    await expect(pending).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
  });

  test('proxies of a closed session reject; nothing stays in either registry', async () => {
    const proxy = await pair.remote.require('tools');
    await proxy.thing;
    pair.remote.close();
    await expect(proxy.thing).rejects.toThrow(/Remote session closed \(closed by this side\): cannot use remote object #1/);
    expect(pair.remote.stats().proxies).toBe(0);
    await gcUntil(() => server.stats().sessions === 0);
    expect(server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
  });

  test('a closed session leaves no native weak records behind', async () => {
    const baseline = nativeStats();
    const extra = asyncPair(server);
    const proxy = await extra.remote.require('tools');
    const things = [];
    for (let i = 0; i < 50; i++) things.push(await proxy.make());
    expect(nativeStats().trackedObjects).toBeGreaterThanOrEqual(baseline.trackedObjects + 51);
    extra.close();
    await gcUntil(() => {
      const now = nativeStats();
      return now.trackedObjects <= baseline.trackedObjects && now.mapEntries <= baseline.mapEntries;
    });
    expect(things).toHaveLength(50); // the proxies were still alive when the session closed
  });
});
