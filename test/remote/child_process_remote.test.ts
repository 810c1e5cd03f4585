// weakwire/remote end to end over a real child process (child_process.fork), both ways round:
// a client in the child served by this process, and a server in the child used from here.
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { connect, release, transports, RemoteServer } from '../../src/ts/remote';
import { gcUntil } from '../../src/ts/testing';

const FIXTURES = join(__dirname, '..', 'fixtures', 'remote');
const { makeServer } = require('../fixtures/remote/child_socket_electron_store.js') as {
  makeServer(remote: { RemoteServer: typeof RemoteServer }): { server: RemoteServer };
};

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function forkFixture(name: string): ChildProcess {
  const child = fork(join(FIXTURES, name), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return child;
}

function appMessage<T = any>(child: ChildProcess, app: string): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: { app?: string }) => {
      if (message && message.app === app) {
        child.removeListener('message', listener);
        resolve(message as T);
      }
    };
    child.on('message', listener);
  });
}

/** A client in a child process, served by `server` here; `run` drives one step there. */
async function childClient(server: RemoteServer) {
  const child = forkFixture('child_process_remote_client.js');
  const session = server.serve(transports.childProcess(child));
  await appMessage(child, 'ready');
  let next = 1;
  const run = async <T = any>(step: string, args?: object): Promise<T> => {
    const id = next++;
    const result = new Promise<any>((resolve) => {
      const listener = (message: { app?: string; id?: number }) => {
        if (message && message.app === 'result' && message.id === id) {
          child.removeListener('message', listener);
          resolve(message);
        }
      };
      child.on('message', listener);
    });
    child.send({ app: 'step', id, step, args });
    const { ok, value, error } = await result;
    if (!ok) throw new Error(`step ${step} failed: ${error.name}: ${error.message}`);
    return value as T;
  };
  return { child, session, run };
}

describe('a client in a child process (async mode)', () => {
  let server: RemoteServer;
  beforeEach(() => {
    ({ server } = makeServer({ RemoteServer }));
  });
  afterEach(() => server.close());

  test('proxy identity: the same object is the same proxy, and comes back as the original', async () => {
    const { run } = await childClient(server);
    expect(await run('identity')).toEqual({ same: true, hello: 'hello', sentBackIsOriginal: true, sum: 5 });
  });

  test("10,000 require('os'): one proxy, registry back to baseline after GC, a handful of FREEs", async () => {
    const { run } = await childClient(server);
    await run('stats');
    const baseline = server.stats();
    const loop = await run('requireLoop', { n: 10_000 });
    expect(loop.platform).toBe(process.platform);
    expect(loop.stats.proxiesCreated).toBe(1);
    expect(server.stats().references - baseline.references).toBe(10_000);
    const collected = await run('collect');
    expect(collected.ok).toBe(true);
    await gcUntil(() => server.stats().objects === baseline.objects, { attempts: 200 });
    expect(server.stats().references).toBe(baseline.references);
    // Read the count only now: a proxy leaves the cache when it is collected, a moment before
    // its destructor queues the FREE, so the client's stats can run ahead of the messages.
    const after = await run('stats');
    expect(after.freeMessagesSent).toBeGreaterThanOrEqual(1);
    expect(after.freeMessagesSent).toBeLessThanOrEqual(10);
  });

  test('the same child object read 1,000 times: one proxy; registry empty after GC', async () => {
    const { run } = await childClient(server);
    const loop = await run('getterLoop', { n: 1000 });
    expect(loop.same).toBe(true);
    expect(loop.stats.proxiesCreated).toBe(2); // store and child
    expect((await run('collect')).ok).toBe(true);
    await gcUntil(() => server.stats().objects === 0, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 1, objects: 0, references: 0 });
  });

  test('thrown errors and rejected promises cross with name, message, remote stack and cause', async () => {
    const { run } = await childClient(server);
    const { thrown, rejected } = await run('errors');
    expect(thrown).toMatchObject({ threw: true, name: 'TypeError', message: 'bad input', extra: 42 });
    expect(thrown.stack).toMatch(/\[remote stack\]/);
    expect(rejected).toMatchObject({
      threw: true,
      name: 'RangeError',
      message: 'too late',
      cause: { name: 'Error', message: 'root cause' },
    });
  });

  test('a callback from the child is called here and its result returns', async () => {
    const { run } = await childClient(server);
    expect(await run('callsBack')).toBe(42);
  });

  test('the child being killed ends its session and releases everything it held', async () => {
    const { child, session, run } = await childClient(server);
    await run('hold', { module: 'os' });
    await run('identity');
    expect(server.stats().objects).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await gcUntil(() => session.closed, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
  });
});

describe('a server in a child process', () => {
  test('the child crashing rejects a pending call and makes held proxies reject', async () => {
    const child = forkFixture('child_process_remote_server.js');
    const remote = connect(transports.childProcess(child), { sync: false });
    await remote.ready;
    const os = await remote.require('os');
    expect(await os.platform()).toBe(process.platform);
    const store = await remote.require('store');
    const pending = store.never();
    child.send({ app: 'die' });
    await expect(pending).rejects.toMatchObject({
      code: 'ERR_REMOTE_CLOSED',
      message: expect.stringMatching(/killed by signal SIGKILL/),
    });
    expect(remote.closed).toBe(true);
    await expect(os.platform()).rejects.toThrow(/Remote session closed/);
    expect(remote.stats().proxies).toBe(0);
  });

  test('release() frees a proxy on the server at once', async () => {
    const child = forkFixture('child_process_remote_server.js');
    const remote = connect(transports.childProcess(child), { sync: false });
    const os = await remote.require('os');
    const statsBefore = appMessage(child, 'stats');
    child.send({ app: 'stats' });
    expect((await statsBefore).stats.objects).toBe(1);
    expect(release(os)).toBe(true);
    let objects = 1;
    for (let i = 0; i < 200 && objects !== 0; i++) {
      const reply = appMessage(child, 'stats');
      child.send({ app: 'stats' });
      objects = (await reply).stats.objects;
    }
    expect(objects).toBe(0);
    remote.close();
  });
});
