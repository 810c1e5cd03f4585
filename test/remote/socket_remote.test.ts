// weakwire/remote end to end over real TCP sockets on 127.0.0.1 (and TLS with a self-signed
// certificate made at test time): a net.Server serves every connection; clients connect in
// async mode. Client and server share this process, each side with its own real GC bookkeeping.
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { connect, release, transports, RemoteServer, type RemoteClient } from '../../src/ts/remote';
import { gcUntil } from '../../src/ts/testing';
import { selfSignedCertificate } from './socket_pair';

const { makeServer } = require('../fixtures/remote/child_socket_electron_store.js') as {
  makeServer(remote: { RemoteServer: typeof RemoteServer }): { server: RemoteServer };
};
const { makeSteps } = require('../fixtures/remote/child_socket_electron_client_steps.js') as {
  makeSteps(remote: RemoteClient, options: { sync: boolean; release: typeof release }): Record<
    string,
    (args?: any) => any
  >;
};

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A RemoteServer behind a net.Server on 127.0.0.1: every connection is a session. */
async function listen(server: RemoteServer): Promise<number> {
  const listener = net.createServer((socket) => server.serve(transports.stream(socket)));
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  cleanups.push(() => listener.close());
  return (listener.address() as net.AddressInfo).port;
}

async function dial(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  cleanups.push(() => socket.destroy());
  return socket;
}

async function client(port: number) {
  const socket = await dial(port);
  const remote = connect(transports.stream(socket), { sync: false });
  cleanups.push(() => remote.close());
  await remote.ready;
  return { socket, remote, steps: makeSteps(remote, { sync: false, release }) };
}

describe('over TCP on 127.0.0.1', () => {
  let server: RemoteServer;
  let port: number;
  beforeEach(async () => {
    ({ server } = makeServer({ RemoteServer }));
    cleanups.push(() => server.close());
    port = await listen(server);
  });

  test('proxy identity: the same object is the same proxy, and comes back as the original', async () => {
    const { steps } = await client(port);
    expect(await steps.identity()).toEqual({ same: true, hello: 'hello', sentBackIsOriginal: true, sum: 5 });
  });

  test("10,000 require('os'): one proxy, registry back to baseline after GC, a handful of FREEs", async () => {
    const { steps } = await client(port);
    const baseline = server.stats();
    const loop = await steps.requireLoop({ n: 10_000 });
    expect(loop.platform).toBe(process.platform);
    expect(loop.stats.proxiesCreated).toBe(1);
    expect(server.stats().references - baseline.references).toBe(10_000);
    const collected = await steps.collect();
    expect(collected.ok).toBe(true);
    await gcUntil(() => server.stats().objects === baseline.objects, { attempts: 200 });
    expect(server.stats().references).toBe(baseline.references);
    // Read the count only now: a proxy leaves the cache when it is collected, a moment before
    // its destructor queues the FREE, so the client's stats can run ahead of the messages.
    const after = await steps.stats();
    expect(after.freeMessagesSent).toBeGreaterThanOrEqual(1);
    expect(after.freeMessagesSent).toBeLessThanOrEqual(10);
  });

  test('the same child object read 1,000 times: one proxy; registry empty after GC', async () => {
    const { steps } = await client(port);
    const loop = await steps.getterLoop({ n: 1000 });
    expect(loop.same).toBe(true);
    expect(loop.stats.proxiesCreated).toBe(2);
    expect((await steps.collect()).ok).toBe(true);
    await gcUntil(() => server.stats().objects === 0, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 1, objects: 0, references: 0 });
  });

  test('thrown errors and rejected promises cross the socket', async () => {
    const { steps } = await client(port);
    const { thrown, rejected } = await steps.errors();
    expect(thrown).toMatchObject({ threw: true, name: 'TypeError', message: 'bad input', extra: 42 });
    expect(rejected).toMatchObject({ name: 'RangeError', cause: { message: 'root cause' } });
  });

  test('a callback passed over the socket is called on the server and its result returns', async () => {
    const { steps } = await client(port);
    expect(await steps.callsBack()).toBe(42);
  });

  test('two clients get separate sessions; one socket dying releases only its own objects', async () => {
    const first = await client(port);
    const second = await client(port);
    await first.steps.hold({ module: 'os' });
    await second.steps.hold({ module: 'os' });
    expect(server.stats()).toMatchObject({ sessions: 2, objects: 2 });
    await first.steps.pendingCall();
    first.socket.destroy();
    expect(await first.steps.pendingOutcome()).toMatchObject({ threw: true, code: 'ERR_REMOTE_CLOSED' });
    await gcUntil(() => server.stats().sessions === 1, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 1, objects: 1, references: 1 });
    expect(await second.steps.useHeld({ module: 'os' })).toEqual({ threw: false });
  });

  test('closing the client ends its session on the server and releases everything', async () => {
    const { steps } = await client(port);
    await steps.hold({ module: 'os' });
    expect(server.stats().objects).toBe(1);
    expect(steps.close()).toEqual({ closed: true });
    await gcUntil(() => server.stats().sessions === 0, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
  });

  test('a client may start on a socket that is still connecting', async () => {
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    const remote = connect(transports.stream(socket), { sync: false });
    cleanups.push(() => remote.close());
    const os = await remote.require('os');
    expect(await os.platform()).toBe(process.platform);
  });

  test('a refused connection closes the client with the socket error', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port: deadPort } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const remote = connect(transports.stream(net.connect(deadPort, '127.0.0.1')), { sync: false });
    await expect(remote.ready).rejects.toThrow(/ECONNREFUSED/);
    expect(remote.closed).toBe(true);
    await expect(remote.require('os')).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
  });

  describe('a hostile peer', () => {
    /**
     * Sends `bytes` on a raw connection: the server loses that frame alone (reported on its
     * 'error' channel), allocates nothing for it, and every other session goes on.
     */
    async function rogue(bytes: Buffer, problem: RegExp): Promise<void> {
      const good = await client(port);
      await good.steps.hold({ module: 'os' });
      const before = server.stats();
      const reported = once(server, 'error');
      const socket = await dial(port);
      socket.write(bytes);
      const [error] = await reported;
      expect((error as Error).message).toMatch(problem);
      expect(server.stats()).toEqual({ ...before, sessions: before.sessions + 1 });
      expect(await good.steps.useHeld({ module: 'os' })).toEqual({ threw: false });
      socket.destroy();
      await gcUntil(() => server.stats().sessions === before.sessions, { attempts: 200 });
      expect(server.stats()).toEqual(before);
    }

    test('a frame header claiming 4 GiB is skipped without allocating; other sessions go on', async () => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(0xffffffff, 0);
      await rogue(header, /skipped an incoming frame of 4294967295 bytes, more than maxFrameBytes/);
    });

    test('a frame that is not a message is dropped; other sessions go on', async () => {
      const body = Buffer.from([0x81, 0xa1, 0x61, 0xc1]);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length, 0);
      await rogue(Buffer.concat([header, body]), /dropped a frame: Malformed frame: type byte 0xc1 is not allowed/);
    });
  });
});

describe('over TLS on 127.0.0.1 with a self-signed certificate made at test time', () => {
  let key: Buffer;
  let cert: Buffer;
  beforeAll(() => {
    ({ key, cert } = selfSignedCertificate());
  });

  test('identity, calls, errors and release of everything on close', async () => {
    const { server } = makeServer({ RemoteServer });
    cleanups.push(() => server.close());
    const listener = tls.createServer({ key, cert }, (socket) => server.serve(transports.stream(socket)));
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    cleanups.push(() => listener.close());
    const { port } = listener.address() as net.AddressInfo;
    const socket = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    await once(socket, 'secureConnect');
    const remote = connect(transports.stream(socket), { sync: false });
    const steps = makeSteps(remote, { sync: false, release });
    expect(await steps.identity()).toEqual({ same: true, hello: 'hello', sentBackIsOriginal: true, sum: 5 });
    expect((await steps.errors()).thrown).toMatchObject({ name: 'TypeError', message: 'bad input' });
    expect(server.stats().objects).toBeGreaterThan(0);
    remote.close();
    await gcUntil(() => server.stats().sessions === 0, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
  });
});
