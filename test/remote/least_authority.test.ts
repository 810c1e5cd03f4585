/**
 * A peer gets no more than the application granted: writes to served objects are refused unless
 * the server allows them (in both modes), and error answers carry only as much of the stack as
 * `errorStacks` lets out.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { connect, RemoteServer, transports, type RemoteServerOptions } from '../../src/ts/remote';
import { PROTOCOL_VERSION } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';

let pairs: Pair[] = [];
afterEach(() => {
  for (const pair of pairs) pair.close();
  pairs = [];
});

function served(options: RemoteServerOptions): Pair {
  const pair = asyncPair(new RemoteServer(options));
  pairs.push(pair);
  return pair;
}

describe('writes', () => {
  test("a client cannot change a served singleton for every session (os.tmpdir)", async () => {
    const os = { tmpdir: () => '/tmp', platform: () => 'linux' };
    const server = new RemoteServer({ modules: { os: () => os } });
    const attacker = asyncPair(server);
    const victim = asyncPair(server);
    pairs.push(attacker, victim);
    const remote = await attacker.remote.require('os');
    await expect(attacker.remote.set(remote, 'tmpdir', () => '/attacker')).rejects.toMatchObject({
      code: 'ERR_REMOTE_DENIED',
      message: 'Assigning member "tmpdir" of a remote object is refused: this peer does not allow writes',
    });
    expect(await (await victim.remote.require('os')).tmpdir()).toBe('/tmp');
  });

  test("async assignment `proxy.x = v` that the server refuses reports on the client's 'error'", async () => {
    const target = { x: 1 };
    const pair = served({ modules: { target: () => target } });
    const remote = await pair.remote.require('target');
    const errored = once(pair.remote, 'error');
    remote.x = 2;
    const [error] = await errored;
    expect(error).toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    expect(target.x).toBe(1);
  });

  test('allowWrites: true lets peers assign members', async () => {
    const target = { x: 1 };
    const pair = served({ modules: { target: () => target }, allowWrites: true });
    const remote = await pair.remote.require('target');
    await pair.remote.set(remote, 'x', 2);
    expect(target.x).toBe(2);
  });

  test('a sync client is refused too, with ERR_REMOTE_DENIED thrown at the assignment', async () => {
    const worker = new Worker(join(__dirname, '..', 'fixtures', 'remote', 'server_worker.js'), {
      workerData: { mode: 'sync', allowWrites: false },
    });
    const [{ end }] = await once(worker, 'message');
    const remote = connect(transports.workerSyncClient(end), { sync: true });
    const counter = new (remote.require('tools').Counter)(5);
    expect(() => {
      counter.value = 7;
    }).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_DENIED' }));
    expect(counter.value).toBe(5);
    remote.close();
    await worker.terminate();
  });

  test("a client's own exported objects are read-only to the server unless the client allows writes", async () => {
    let saved: any;
    const server = new RemoteServer({
      modules: { tools: () => ({ keep: (o: unknown) => void (saved = o), write: async () => (saved.flag = true) }) },
    });
    const channel = new MessageChannel();
    const session = server.serve(transports.messagePort(channel.port1));
    const client = connect(transports.messagePort(channel.port2));
    const errored = once(session, 'error');
    const tools = await client.require('tools');
    const mine = new (class Mine {
      flag = false;
    })();
    await tools.keep(mine);
    await tools.write();
    const [error] = await errored;
    expect(error).toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    expect(mine.flag).toBe(false);
    client.close();
  });
});

describe('errorStacks', () => {
  function failing() {
    return {
      fail(): never {
        throw new TypeError('from the server');
      },
    };
  }

  test("'redacted' (the default) keeps function and file names but no directories", async () => {
    const pair = served({ modules: { tools: failing } });
    const error = (await (await pair.remote.require('tools')).fail().catch((e: Error) => e)) as Error;
    expect(error.stack).toMatch(/^TypeError: from the server\n {4}\[remote stack\]\n {4}at /);
    expect(error.stack).toMatch(/least_authority\.test\.ts:\d+:\d+/);
    expect(error.stack).not.toContain(__dirname);
  });

  test("'full' sends the stack as it is, absolute paths included", async () => {
    const pair = served({ modules: { tools: failing }, errorStacks: 'full' });
    const error = (await (await pair.remote.require('tools')).fail().catch((e: Error) => e)) as Error;
    expect(error.stack).toContain(join(__dirname, 'least_authority.test.ts'));
  });

  test("'none' sends no stack: only the name and message arrive", async () => {
    const pair = served({ modules: { tools: failing }, errorStacks: 'none' });
    const error = (await (await pair.remote.require('tools')).fail().catch((e: Error) => e)) as Error;
    expect(error.stack).toBe('TypeError: from the server\n    [remote stack]');
  });

  test.each([
    ['none', (stack: unknown) => expect(stack).toBeUndefined()],
    ['full', (stack: unknown) => expect(stack).toContain(__dirname)],
  ])("is the client's option too: '%s' for errors its callbacks throw", async (policy, check) => {
    // A hand-written server calls the client's callback and looks at the error answer it gets.
    const channel = new MessageChannel();
    const server = channel.port1;
    const answered = new Promise<any>((resolve) => {
      server.on('message', (message: any) => {
        if (message.op === 'hello') server.postMessage({ op: 'result', seq: message.seq, value: PROTOCOL_VERSION });
        if (message.op === 'require') server.postMessage({ op: 'result', seq: message.seq, value: { $: 'ref', id: 1 } });
        if (message.op === 'call') server.postMessage({ op: 'call', seq: 900, target: message.args[0].id, args: [] });
        if (message.op === 'error' && message.seq === 900) resolve(message.error);
      });
    });
    const client = connect(transports.messagePort(channel.port2), { errorStacks: policy as 'none' | 'full' });
    const tools = await client.require('tools');
    void tools.run(() => {
      throw new Error('from the client');
    }).catch(() => {});
    const error = await answered;
    expect(error).toMatchObject({ $: 'error', name: 'Error', message: 'from the client' });
    check(error.stack);
    client.close();
    server.close();
  });

  test('bad values are refused with a clear TypeError', () => {
    expect(() => new RemoteServer({ errorStacks: 'some' as never })).toThrow(
      "RemoteServer: options.errorStacks must be 'full', 'redacted' or 'none'",
    );
    expect(() => new RemoteServer({ allowWrites: 'yes' as never })).toThrow('RemoteServer: options.allowWrites must be a boolean');
  });
});
