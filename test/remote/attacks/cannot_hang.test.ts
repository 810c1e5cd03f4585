/**
 * docs/security.md: a hostile peer cannot hang you. A message costs work bounded by its real
 * size, and no message makes this side block or loop on the peer's say-so.
 */
import { once } from 'node:events';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { connect, RemoteServer, transports, withTimeout, type RemoteClient } from '../../../src/ts/remote';
import type { Transport, TransportHandlers, WireMessage } from '../../../src/ts/remote/transport';
import { frameOfSize, servedStream, trickledStream } from './trickle';
import { PROTOCOL_VERSION } from '../../../src/ts/remote/protocol';

/** A hand-written server on a MessageChannel: answers hello and require, and `onCall` for calls. */
function hostileServer(port: MessagePort, onCall: (call: any, post: (m: unknown) => void) => void): void {
  port.on('message', (message) => {
    if (message.op === 'hello') port.postMessage({ op: 'result', seq: message.seq, value: PROTOCOL_VERSION });
    else if (message.op === 'require') port.postMessage({ op: 'result', seq: message.seq, value: { $: 'ref', id: 1 } });
    else if (message.op === 'call') onCall(message, (m) => port.postMessage(m));
  });
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What `promise` rejects with, or 'pending' if it has not settled within `ms`. */
async function rejectionWithin(ms: number, promise: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([promise.then(() => 'fulfilled', (error: unknown) => error), late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("reporting a failure nobody awaited runs none of the peer's code", () => {
  test('a rejection whose toString is a remote function is not called (it was called in a loop)', async () => {
    const channel = new MessageChannel();
    const remote = connect(transports.messagePort(channel.port1));
    remote.on('error', () => {});
    let toStringCalls = 0;
    // Each call gets a rejection whose `toString` is the server's function #9; calling it to
    // print the rejection made a call, which got the same rejection, and so on forever.
    const rejection = { $: 'object', e: [['toString', { $: 'ref', id: 9, fn: true }]] };
    hostileServer(channel.port2, (call, post) => {
      if (call.target === 9) toStringCalls++;
      post({ op: 'error', seq: call.seq, error: rejection });
    });
    try {
      const tools = await remote.require('tools');
      void tools.fail();
      await settle(200);
    } finally {
      remote.close();
      channel.port2.close();
    }
    expect(toStringCalls).toBe(0);
  });
});

/** A sync transport in this thread: the test plays the server by answering `requestSync`. */
function fakeSyncTransport(): Transport & { handlers: TransportHandlers; requests: WireMessage[] } {
  const transport = {
    kind: 'fake-sync',
    handlers: undefined as unknown as TransportHandlers,
    requests: [] as WireMessage[],
    start(handlers: TransportHandlers) {
      transport.handlers = handlers;
    },
    send() {},
    requestSync(message: WireMessage): WireMessage {
      transport.requests.push(message);
      return message.op === 'hello'
        ? { op: 'result', seq: message.seq, value: PROTOCOL_VERSION }
        : { op: 'result', seq: message.seq, value: 'answered' };
    },
    close() {},
  };
  return transport;
}

describe('a sync client that is not calling the server', () => {
  test('does not block on a request because of an unsolicited error carrying a reference', () => {
    const transport = fakeSyncTransport();
    const remote = connect(transport, { sync: true });
    const reported: unknown[] = [];
    remote.on('error', (error) => reported.push(error));
    const before = transport.requests.length;
    // An error about "a message of ours that had no seq", whose value is a server object: the
    // client read its `code` to sort it, a synchronous request that blocks until the server answers.
    transport.handlers.message({ op: 'error', seq: 0, error: { $: 'ref', id: 1 } });
    expect(reported).toHaveLength(1);
    expect(transport.requests.slice(before)).toEqual([]);
    remote.close();
  });
});

describe('a failure too large for the transport (TCP, maxFrameBytes 4096)', () => {
  // What the peer sends decides the size of what it gets back: "bad input: <the input>" twice
  // does not fit the frame, although the input did.
  const tools = {
    fail(input: string): never {
      throw new Error(`bad input: ${input} ${input}`);
    },
    async reject(input: string): Promise<never> {
      await null;
      throw new Error(`bad input: ${input} ${input}`);
    },
  };
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  async function client(): Promise<RemoteClient<false>> {
    const server = new RemoteServer({ modules: { tools: () => tools } });
    server.on('error', () => {});
    const listener = net.createServer((socket) => server.serve(transports.stream(socket, { maxFrameBytes: 4096 })));
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const socket = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
    const remote = connect(transports.stream(socket, { maxFrameBytes: 4096 }), { callTimeoutMs: 10_000 });
    cleanups.push(() => listener.close(), () => server.close(), () => socket.destroy(), () => remote.close());
    return remote;
  }

  test('still answers the request, with an error saying it was too large (it was never answered)', async () => {
    const remote = await client();
    const tools = await remote.require('tools');
    // The client would give up after its callTimeoutMs (10 s); the answer comes long before.
    expect(await rejectionWithin(5_000, tools.fail('x'.repeat(3000)))).toMatchObject({ code: 'ERR_REMOTE_TOO_LARGE' });
  });

  test("settles the caller's promise, with an error saying it was too large (it never settled)", async () => {
    const remote = await client();
    const tools = await remote.require('tools');
    // The call was answered with a promise; no timeout covers a promise, it waited forever.
    expect(await rejectionWithin(5_000, tools.reject('x'.repeat(3000)))).toMatchObject({ code: 'ERR_REMOTE_TOO_LARGE' });
  });
});

describe('a stream peer that sends a frame one byte at a time', () => {
  test('makes no read block the event loop: the last byte costs no more than the first ones', () => {
    // 100,000 one-byte reads: reassembling them cost 30 s and more in the read that completed the frame
    // (every buffered read was shifted off an array of all of them: quadratic; 2 minutes for 200,000
    // outside jest).
    const frame = frameOfSize(100_000);
    const { emitter, messages } = trickledStream();
    for (let i = 0; i < frame.length - 1; i++) emitter.emit('data', frame.subarray(i, i + 1));
    const started = performance.now();
    emitter.emit('data', frame.subarray(frame.length - 1));
    const lastRead = performance.now() - started;
    expect(messages).toHaveLength(1);
    expect(lastRead).toBeLessThan(1_000);
  });
});

describe('a worker-sync answerer that writes a state the protocol does not define', () => {
  test('fails the request at once instead of spinning until the timeout', async () => {
    const data = new MessageChannel();
    const answers = new MessageChannel();
    const buffer = new SharedArrayBuffer(16 + 1024);
    const worker = new Worker(join(__dirname, '..', '..', 'fixtures', 'remote', 'hostile_sync_answerer.js'), {
      workerData: { port: data.port2, buffer, state: 99 },
      transferList: [data.port2],
    });
    try {
      await once(worker, 'online');
      const remote = connect(transports.workerSyncClient({ port: data.port1, answers: answers.port1, buffer }), {
        sync: true,
        callTimeoutMs: 10_000,
      });
      const started = Date.now();
      // The requester waited on `state === IDLE`, which returned at once every time: a busy loop
      // at full CPU until callTimeoutMs (10 s here, 30 s by default, forever with 0).
      // The channel is out of step, so the session closes and says why.
      expect(() => remote.require('tools')).toThrow(/wrote state 99/);
      expect(Date.now() - started).toBeLessThan(2_000);
      remote.close();
    } finally {
      answers.port2.close();
      await worker.terminate();
    }
  });
});

describe('a number nested in number records', () => {
  test('is refused at once with a protocol error (it recursed until the stack overflowed)', () => {
    const served = servedStream(new RemoteServer({ modules: { tools: () => ({ echo: (v: unknown) => v }) } }));
    served.send(`{"op":"hello","seq":1,"protocol":"weakwire-remote","version":${PROTOCOL_VERSION}}`);
    served.send('{"op":"require","seq":2,"name":"tools"}');
    // maxDepth bounds copied containers; a { $: "num", v: { $: "num", v: ... } } chain was not
    // one, and was decoded recursively until a RangeError (over JSON transports: stream, IPC).
    const depth = 100_000;
    const deep = `${'{"$":"num","v":'.repeat(depth)}1${'}'.repeat(depth)}`;
    served.send(`{"op":"call","seq":3,"target":1,"path":["echo"],"args":[{"$":"date","v":${deep}}]}`);
    expect(served.answers.at(-1)).toMatchObject({ op: 'error', seq: 3, error: { name: 'RemoteError' } });
    expect(served.answers.at(-1).error.message).toMatch(/Malformed value/);
    served.session.close();
  });
});

describe('a result that is a sparse array', () => {
  // The encoder wrote every index of an array (holes as undefined), so an array of length
  // 2^32 - 2 with one item (a served list that stores where the client says, then is returned)
  // cost 4 billion steps and the memory for them: the server died of heap exhaustion. Holes are
  // now bounded (WIRE_LIMITS.maxHoles): the call fails with ERR_REMOTE_TOO_LARGE. Run in a fresh
  // process with a small heap, killed after 20 s.
  test('costs its real size: the call fails at once, the server lives', () => {
    const out = execFileSync(
      process.execPath,
      ['--max-old-space-size=64', join(__dirname, '..', '..', 'fixtures', 'remote', 'attack_scenarios.js'), 'sparse-result'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 },
    );
    const report = JSON.parse(out.trim().split('\n').pop() as string);
    expect(report.outcome).toMatchObject({ code: 'ERR_REMOTE_TOO_LARGE', message: expect.stringMatching(/sparse array/) });
    expect(report.ms).toBeLessThan(2_000);
  });
});

describe('a server that answers a call with a promise it never settles', () => {
  // callTimeoutMs bounded only the wait for the answer, and every async served function answers
  // at once with a promise: nothing bounded the wait for its settle, so a stuck server hung
  // `await remote.asyncFn()` for ever and held a place under maxPendingCalls for the session's life.
  function stuckServer(timeoutMs: number) {
    const channel = new MessageChannel();
    const remote = connect(transports.messagePort(channel.port1), { callTimeoutMs: timeoutMs });
    let promiseId = 0;
    hostileServer(channel.port2, (call, post) => post({ op: 'result', seq: call.seq, value: { $: 'promise', id: ++promiseId } }));
    const settleLate = (id: number) => channel.port2.postMessage({ op: 'settle', id, ok: true, value: 'late' });
    const close = () => {
      remote.close();
      channel.port2.close();
    };
    return { remote, settleLate, close };
  }

  test('rejects the call after callTimeoutMs all the same', async () => {
    const { remote, close } = stuckServer(300);
    try {
      const tools = await remote.require('tools');
      expect(await rejectionWithin(2_000, tools.work())).toMatchObject({
        code: 'ERR_REMOTE_TIMEOUT',
        message: expect.stringMatching(/did not settle within 300 ms/),
      });
    } finally {
      close();
    }
  });

  test('gives back its place under maxPendingCalls, and a settle after the timeout is dropped', async () => {
    const { remote, settleLate, close } = stuckServer(200);
    try {
      const tools = await remote.require('tools');
      await expect(tools.work()).rejects.toMatchObject({ code: 'ERR_REMOTE_TIMEOUT' });
      const endpoint = (remote as any).endpoint;
      expect(endpoint.requests.size).toBe(0);
      expect(endpoint.promises.pending).toBe(0);
      remote.on('error', () => {});
      settleLate(1);
      await settle(50);
      expect(endpoint.promises.pending).toBe(0);
      expect(remote.closed).toBe(false);
    } finally {
      close();
    }
  });

  test('waits as long as withTimeout allows: a slow async call settles under a larger timeout', async () => {
    const server = new RemoteServer({
      modules: { tools: () => ({ slow: () => new Promise((resolve) => setTimeout(() => resolve('done'), 1_000)) }) },
    });
    const channel = new MessageChannel();
    server.serve(transports.messagePort(channel.port2));
    // The handshake has this timeout too: 300 ms, which a loaded machine under ASan still meets.
    const remote = connect(transports.messagePort(channel.port1), { callTimeoutMs: 300 });
    try {
      const tools = await withTimeout(5_000, () => remote.require('tools'));
      await expect(tools.slow()).rejects.toMatchObject({ code: 'ERR_REMOTE_TIMEOUT' });
      expect(await withTimeout(5_000, () => tools.slow())).toBe('done');
      expect(await withTimeout(0, () => tools.slow())).toBe('done');
    } finally {
      remote.close();
      server.close();
      channel.port1.close();
    }
  });
});

describe('a malformed answer to a call', () => {
  // A result whose value failed to decode failed the call at once, but one that broke the
  // message's shape (no value, value and stale both, an error without its error) was dropped, and
  // the call waited for callTimeoutMs, or for ever with 0.
  const malformed: ReadonlyArray<[string, (seq: number) => unknown]> = [
    ['a result with neither value nor stale', (seq) => ({ op: 'result', seq })],
    ['a result with both value and stale', (seq) => ({ op: 'result', seq, value: 1, stale: true })],
    ['an error without its error', (seq) => ({ op: 'error', seq })],
    ['a result whose stale is not true', (seq) => ({ op: 'result', seq, stale: 'yes' })],
  ];

  test.each(malformed)('fails the call at once, naming it: %s', async (_, answer) => {
    const channel = new MessageChannel();
    const remote = connect(transports.messagePort(channel.port1), { callTimeoutMs: 0 });
    hostileServer(channel.port2, (call, post) => post(answer(call.seq)));
    try {
      const tools = await remote.require('tools');
      expect(await rejectionWithin(2_000, tools.work())).toMatchObject({
        code: 'ERR_REMOTE_PROTOCOL',
        message: expect.stringMatching(/^The peer's answer to call "work" of remote object #1 was malformed: Malformed (result|error) message/),
      });
      expect((remote as any).endpoint.requests.size).toBe(0);
      expect(remote.closed).toBe(false);
    } finally {
      remote.close();
      channel.port2.close();
    }
  });

  test('that names no waiting request changes nothing: the call still gets its real answer', async () => {
    const channel = new MessageChannel();
    const remote = connect(transports.messagePort(channel.port1), { callTimeoutMs: 0 });
    remote.on('error', () => {});
    hostileServer(channel.port2, (call, post) => {
      post({ op: 'result', seq: call.seq + 1000 });
      post({ op: 'error', seq: call.seq - 1 });
      post({ op: 'result', seq: call.seq, value: 'real' });
    });
    try {
      const tools = await remote.require('tools');
      expect(await tools.work()).toBe('real');
    } finally {
      remote.close();
      channel.port2.close();
    }
  });
});

describe('an answer whose value is a thenable (a copied object with a remote `then`)', () => {
  // `{ then: <the server's function> }`: resolving the caller's promise with it adopts it, so the
  // call waited for the server to call back, which it never does; and a call, `new`, `require` or
  // `getGlobal` (a pipelined result) threw inside the answer's handler and never settled at all.
  const thenable = { $: 'object', e: [['then', { $: 'ref', id: 9, fn: true }]] };

  function thenableServer(callBack = false): { remote: RemoteClient<false>; close: () => void } {
    const channel = new MessageChannel();
    const remote = connect(transports.messagePort(channel.port1), { callTimeoutMs: 300 });
    remote.on('error', () => {});
    const port = channel.port2;
    port.on('message', (message) => {
      if (message.op === 'hello') port.postMessage({ op: 'result', seq: message.seq, value: PROTOCOL_VERSION });
      else if (message.op === 'require') port.postMessage({ op: 'result', seq: message.seq, value: { $: 'ref', id: 1 } });
      else if (message.op === 'get' || (message.op === 'call' && message.target === 1)) {
        port.postMessage({ op: 'result', seq: message.seq, value: thenable });
      } else if (message.op === 'call' && message.seq !== 0) {
        // The thenable's `then(resolve, reject)`: answered, and, if `callBack`, resolve(42) is called.
        port.postMessage({ op: 'result', seq: message.seq, value: { $: 'undef' } });
        const resolve = message.args[0];
        if (callBack) port.postMessage({ op: 'call', seq: 1_000_000 + message.seq, target: resolve.id, args: [42] });
      }
    });
    return { remote, close: () => (remote.close(), port.close()) };
  }

  test('that never calls back: a member read rejects after callTimeoutMs', async () => {
    const { remote, close } = thenableServer();
    try {
      const tools = await remote.require('tools');
      expect(await rejectionWithin(2_000, tools.value)).toMatchObject({ code: 'ERR_REMOTE_TIMEOUT' });
    } finally {
      close();
    }
  });

  test('that never calls back: a call rejects after callTimeoutMs', async () => {
    const { remote, close } = thenableServer();
    try {
      const tools = await remote.require('tools');
      expect(await rejectionWithin(2_000, tools.work())).toMatchObject({ code: 'ERR_REMOTE_TIMEOUT' });
      expect((remote as any).endpoint.requests.size).toBe(0);
    } finally {
      close();
    }
  });

  test('that calls back in time: the call gives what it was called back with, as a thenable does', async () => {
    const { remote, close } = thenableServer(true);
    try {
      const tools = await remote.require('tools');
      expect(await tools.work()).toBe(42);
    } finally {
      close();
    }
  });
});

describe('a served function that returns a value which throws when its prototype is read', () => {
  // A revoked Proxy (a capability the application revoked) as a call's result: checking the
  // result threw out of the request handler, into the 'error' channel, and the call was never
  // answered: the caller waited for callTimeoutMs (for ever with 0). It goes by reference now.
  test('still answers the call (it was never answered)', async () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const server = new RemoteServer({ modules: { tools: () => ({ revoked: () => revoked.proxy }) } });
    const channel = new MessageChannel();
    server.serve(transports.messagePort(channel.port2));
    const remote = connect(transports.messagePort(channel.port1));
    try {
      const tools = await remote.require('tools');
      expect(await rejectionWithin(2_000, tools.revoked())).toBe('fulfilled');
    } finally {
      remote.close();
      channel.port2.close();
    }
  });
});
