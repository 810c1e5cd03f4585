/**
 * Distributed GC over real worker threads: the server runs here, the client in a worker, both
 * collect with real GC.
 */
import { RemoteServer } from '../../src/ts/remote';
import { forceGC, gcUntil } from '../../src/ts/testing';
import { gcProven } from '../gc_proof';
import { startClientWorker, type ClientWorker } from './worker_client';

class Child {
  hello(): string {
    return 'hello';
  }
}

class Room {
  callback: unknown;
  setCallback(callback: unknown): void {
    this.callback = callback;
  }
  hello(): string {
    return 'room';
  }
}

function makeServer() {
  const store = {
    child: new Child(),
    callback: undefined as unknown,
    setCallback(callback: unknown) {
      store.callback = callback;
    },
    makeRoom: () => new Room(),
    callMe: (fn: (a: number, b: number) => Promise<number>) => fn(2, 3),
  };
  const server = new RemoteServer({ modules: { os: () => require('os'), store: () => store } });
  return { server, store };
}

/** Polls server-side GC while the worker collects on its side. */
async function serverBackTo(server: RemoteServer, objects: number): Promise<void> {
  await gcUntil(() => server.stats().objects === objects, { attempts: 200 });
}

describe.each([
  ['sync', true],
  ['async', false],
])('distributed GC, worker thread client in %s mode', (_mode, sync) => {
  let client: ClientWorker;
  let setup: ReturnType<typeof makeServer>;

  beforeEach(() => {
    setup = makeServer();
    client = startClientWorker(setup.server, sync);
  });

  afterEach(async () => {
    await client.stop();
    setup.server.close();
  });

  test("10,000 require('os') calls: one proxy, registry back to baseline after GC, a handful of FREEs", async () => {
    await client.run('stats'); // handshake done
    const baseline = setup.server.stats();
    const loop = await client.run('requireLoop', { n: 10_000 });
    expect(loop.platform).toBe(process.platform);
    expect(loop.stats.proxiesCreated).toBe(1);
    // Sync mode also holds os.platform itself (a method stub keeps the function it was read as).
    expect(setup.server.stats().references - baseline.references).toBe(sync ? 10_001 : 10_000);
    const collected = await client.run('collect');
    expect(collected.ok).toBe(true);
    await serverBackTo(setup.server, baseline.objects);
    expect(setup.server.stats().references).toBe(baseline.references);
    // Read the count after the server saw the FREEs: a proxy leaves the client's cache a moment
    // before its destructor queues the FREE, so the snapshot taken in `collect` may be early.
    const after = await client.run('stats');
    expect(after.freeMessagesSent).toBeGreaterThanOrEqual(1);
    expect(after.freeMessagesSent).toBeLessThanOrEqual(10);
  });

  test('the same child returned 1,000 times by a getter: same proxy; registry empty after GC', async () => {
    const loop = await client.run('getterLoop', { n: 1000 });
    expect(loop.same).toBe(true);
    expect(setup.server.stats().objects).toBe(2); // store and child
    expect((await client.run('collect')).ok).toBe(true);
    await serverBackTo(setup.server, 0);
    expect(setup.server.stats()).toEqual({ sessions: 1, objects: 0, references: 0 });
  });

  test('GC between a request and its answer never frees an object still in flight', async () => {
    const result = await client.run('lateFinalizer', { rounds: 30 });
    expect(result.calls).toBe(30);
    const stats = await client.run('stats');
    // The old proxy really died under a pending answer at least once, so the rule was exercised.
    expect(stats.proxiesCreated).toBeGreaterThan(2);
    expect((await client.run('collect')).ok).toBe(true);
    await serverBackTo(setup.server, 0);
  });

  test('a callback is released on the client once the server drops it', async () => {
    const given = await client.run('giveCallback');
    expect(given.exportedObjects).toBe(1);
    expect(typeof setup.store.callback).toBe('function');
    setup.store.callback = undefined;
    const sessionStats = () => client.session.stats();
    await gcUntil(() => sessionStats().proxies === 0 && sessionStats().pendingFrees === 0, { attempts: 200 });
    const gone = await client.run('waitExportsGone');
    expect(gone.ok).toBe(true);
  });

  test('a callback passed to the server can be called there and its result comes back', async () => {
    expect(await client.run('callsBack')).toBe(5);
  });

  test('closing the session releases everything on both sides; held proxies then throw', async () => {
    const held = await client.run('hold', { module: 'os' });
    expect(held.proxies).toBe(1);
    expect(setup.server.stats().objects).toBe(1);
    client.session.close();
    expect(setup.server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
    let used = await client.run('useHeld', { module: 'os' });
    // The close reaches the worker asynchronously; a sync client may notice on its next request.
    for (let i = 0; i < 50 && !used.threw; i++) used = await client.run('useHeld', { module: 'os' });
    expect(used).toMatchObject({ threw: true, code: 'ERR_REMOTE_CLOSED' });
    expect(used.message).toMatch(/Remote session closed/);
    expect((await client.run('stats')).proxies).toBe(0);
  });

  test('the client closing ends the session on the server and releases its objects', async () => {
    await client.run('hold', { module: 'os' });
    expect(setup.server.stats().objects).toBe(1);
    expect((await client.run('close')).closed).toBe(true);
    await gcUntil(() => setup.server.stats().sessions === 0);
    expect(setup.server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
  });

  test('a cross-boundary cycle survives GC; release() breaks it', async () => {
    await client.run('stats');
    const made = await client.run('makeCycle');
    expect(made.exportedObjects).toBe(1);
    // Everything but the cycle is garbage on both sides: only the room stays in the registry (in
    // sync mode also its setCallback function, which the room proxy's method stub stands for).
    const cycle = sync ? 2 : 1;
    const collectBoth = async (objects: number): Promise<void> => {
      for (let i = 0; i < 20 && setup.server.stats().objects !== objects; i++) {
        await client.run('gcRounds', { rounds: 3 });
        await gcProven(2);
      }
    };
    await collectBoth(cycle);
    expect(setup.server.stats().objects).toBe(cycle);
    for (let i = 0; i < 3; i++) {
      const rounds = await client.run('gcRounds', { rounds: 5 });
      await gcProven(3);
      expect(rounds.roomAlive).toBe(true);
      expect(rounds.stats.exportedObjects).toBe(1);
    }
    expect(setup.server.stats().objects).toBe(cycle);
    const released = await client.run('releaseRoom');
    expect(released.first).toBe(true);
    expect(released.second).toBe(false);
    expect(released.useError.code).toBe('ERR_REMOTE_RELEASED');
    await collectBoth(0);
    expect(setup.server.stats().objects).toBe(0);
    // The room is gone on the server, so its proxy of our callback dies and frees it here.
    await gcUntil(() => client.session.stats().proxies === 0 && client.session.stats().pendingFrees === 0, { attempts: 200 });
    expect((await client.run('waitExportsGone')).ok).toBe(true);
    forceGC();
  });
});
