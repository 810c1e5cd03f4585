/**
 * Sync mode's method stubs: once a member has been read as a function, `proxy.name(args)` is one
 * round trip that calls the remote object's current `name`. The server runs in a worker thread
 * (this thread blocks in each call); round trips are counted on the client transport.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { connect, release, transports, type RemoteClient, type Transport, type WireMessage } from '../../src/ts/remote';
import { gcUntil } from '../../src/ts/testing';

const FIXTURE = join(__dirname, '..', 'fixtures', 'remote', 'server_worker.js');

interface Setup {
  worker: Worker;
  remote: RemoteClient<true>;
  /** Synchronous requests sent so far. */
  trips(): number;
}

async function syncClient(options: { cacheMethods?: boolean } = {}): Promise<Setup> {
  const worker = new Worker(FIXTURE, { workerData: { mode: 'sync' } });
  const [{ end }] = await once(worker, 'message');
  const transport = transports.workerSyncClient(end);
  const requestSync = (transport.requestSync as (m: WireMessage) => WireMessage).bind(transport);
  let trips = 0;
  const counted: Transport = Object.assign(transport, {
    requestSync(message: WireMessage): WireMessage {
      trips++;
      return requestSync(message);
    },
  });
  const remote = connect(counted, { sync: true, ...options });
  return { worker, remote, trips: () => trips };
}

describe('sync mode method stubs', () => {
  let setup: Setup;

  afterEach(async () => {
    setup.remote.close();
    await setup.worker.terminate();
  });

  test('after the first read, proxy.method(x) costs one round trip', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const before = setup.trips();
    expect(api.greet('a')).toBe('hello a'); // read (learns it is a function) + call
    expect(setup.trips() - before).toBe(2);
    const second = setup.trips();
    expect(api.greet('b')).toBe('hello b');
    expect(api.greet('c')).toBe('hello c');
    expect(setup.trips() - second).toBe(2);
  });

  test('cacheMethods: false reads the member on every call (two round trips)', async () => {
    setup = await syncClient({ cacheMethods: false });
    const api = setup.remote.require('methods');
    api.greet('warm up');
    const before = setup.trips();
    expect(api.greet('b')).toBe('hello b');
    expect(setup.trips() - before).toBe(2);
  });

  test('after the server replaced the method, proxy.method(x) calls the new one', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.greet('x')).toBe('hello x');
    api.swap();
    expect(api.greet('y')).toBe('bye y');
    expect(api.greet('z')).toBe('bye z');
  });

  test('a method read before the server replaced it is still the function that was read', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const greet = api.greet;
    api.swap();
    expect(greet('y')).toBe('hello y');
  });

  test('once a call found the replacement, reading the member gives the new function', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const before = api.greet;
    api.swap();
    expect(api.greet('y')).toBe('bye y');
    expect(api.greet).not.toBe(before);
    expect(api.isGreet(api.greet)).toBe(true);
  });

  test("a method replaced by the client's own function is called here, returning its result directly", async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.greet('a')).toBe('hello a');
    api.setGreet((who: string) => `local ${who}`);
    expect(api.greet('b')).toBe('local b');
  });

  test('a member that stops being a function: the call fails with a TypeError, the next read sees the value', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.greet('a')).toBe('hello a');
    api.unfunction();
    let error: any;
    try {
      api.greet('b');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error.code).toBe('ERR_REMOTE_NOT_A_FUNCTION');
    expect(api.greet).toBe(42);
  });

  test('new on a member that stopped being a class fails with a TypeError, the next read sees the value', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(new api.Greeter('a').name).toBe('a');
    api.unclass();
    expect(() => new api.Greeter('b')).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_NOT_A_FUNCTION' }));
    expect(api.Greeter).toBe('gone');
  });

  test('assigning the member through the proxy drops its stub', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(typeof api.greet).toBe('function');
    api.greet = 'plain';
    expect(api.greet).toBe('plain');
  });

  test('remote.set() on the member drops its stub too', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(typeof api.greet).toBe('function');
    setup.remote.set(api, 'greet', 'plain');
    expect(api.greet).toBe('plain');
  });

  test('a wrapper assigned through the proxy can call the method it saved', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const original = api.greet;
    api.greet = (who: string) => `wrapped ${original(who)}`;
    expect(api.greet('z')).toBe('wrapped hello z');
  });

  test('the stub is stable while the member is a method', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.greet).toBe(api.greet);
    expect(typeof api.greet).toBe('function');
  });

  test('this is kept: method syntax, a detached call and call() with another object', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.whoami()).toBe('api');
    const whoami = api.whoami;
    expect(whoami()).toBe('none');
    expect(whoami.call({ name: 'other' })).toBe('other');
    expect(whoami.apply({ name: 'applied' }, [])).toBe('applied');
  });

  test('a stub passed to the server arrives as the function it was read as, with no extra round trip', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.isGreet(api.greet)).toBe(true);
    const before = setup.trips();
    expect(api.isGreet(api.greet)).toBe(true);
    expect(setup.trips() - before).toBe(1);
  });

  test("the stub's own members are the function's, and new constructs in one round trip", async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    expect(api.Greeter.kind).toBe('greeter');
    const before = setup.trips();
    const greeter = new api.Greeter('g');
    expect(setup.trips() - before).toBe(1);
    expect(greeter.name).toBe('g');
  });

  test('release(stub) releases the function it stands for, once; the proxy reads the member again', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const greet = api.greet;
    expect(release(greet)).toBe(true);
    expect(release(greet)).toBe(false);
    expect(() => greet('a')).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_RELEASED' }));
    expect(api.greet('b')).toBe('hello b');
  });

  test('a method read from a proxy that is then released stays usable; the released proxy throws', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const greet = api.greet;
    release(api);
    expect(greet('a')).toBe('hello a');
    expect(() => api.greet).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_RELEASED' }));
    expect(() => api.greet('b')).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_RELEASED' }));
  });

  test('stubs of a closed session throw ERR_REMOTE_CLOSED', async () => {
    setup = await syncClient();
    const api = setup.remote.require('methods');
    const greet = api.greet;
    setup.remote.close();
    expect(() => greet('c')).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
    expect(() => api.greet('c')).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
  });

  test('a proxy and its stubs are collected together, and their FREEs leave', async () => {
    setup = await syncClient();
    let api: any = setup.remote.require('methods');
    let greet = api.greet;
    expect(greet('a')).toBe('hello a');
    const sent = setup.remote.stats().freeMessagesSent;
    api = null;
    greet = null;
    // (Not `pendingFrees === 0` alone: a collected proxy leaves the map before its destructor
    // queues the FREE, so both counters can be 0 in between.)
    await gcUntil(() => setup.remote.stats().proxies === 0 && setup.remote.stats().freeMessagesSent > sent);
    expect(setup.remote.stats().pendingFrees).toBe(0);
  });
});

test('connect refuses a cacheMethods that is not a boolean', () => {
  const channel = transports.workerSyncChannel();
  try {
    expect(() => connect(transports.workerSyncClient(channel.end), { sync: true, cacheMethods: 1 as never })).toThrow(
      /options\.cacheMethods must be a boolean/,
    );
  } finally {
    channel.transport.close();
  }
});
