// transfer(value, transferables): comlink's semantics. Transports that can transfer move the
// listed objects (the sender's copy is detached); the others copy them.
import { RemoteServer, transfer } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';
import { socketPair } from './socket_pair';
import { startClientWorker } from './worker_client';
import { connect, transports } from '../../src/ts/remote';

interface Tools {
  sum(bytes: Uint8Array): Promise<number>;
  make(size: number): Promise<Uint8Array>;
}

function serverTools(made: ArrayBuffer[]) {
  return {
    sum: (bytes: Uint8Array) => bytes.reduce((a, b) => a + b, 0),
    make: (size: number) => {
      const bytes = new Uint8Array(size).fill(1);
      made.push(bytes.buffer);
      return transfer(bytes, [bytes.buffer]);
    },
  };
}

describe('over a MessagePort', () => {
  let pair: Pair;
  let tools: Tools;
  const made: ArrayBuffer[] = [];
  beforeAll(async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => serverTools(made) } }));
    tools = (await pair.remote.require('tools')) as never;
  });
  afterAll(() => pair.close());

  test('a transferred argument is moved: it arrives whole and is detached here', async () => {
    const bytes = new Uint8Array(1024).fill(2);
    expect(await tools.sum(transfer(bytes, [bytes.buffer]))).toBe(2048);
    expect(bytes.buffer.byteLength).toBe(0);
  });

  test('a result the server transfers is moved too', async () => {
    const bytes = await tools.make(16);
    expect(bytes.length).toBe(16);
    expect(made.at(-1)!.byteLength).toBe(0);
  });

  test('without transfer the argument is copied and stays usable', async () => {
    const bytes = new Uint8Array(8).fill(3);
    expect(await tools.sum(bytes)).toBe(24);
    expect(bytes.byteLength).toBe(8);
  });
});

describe('a buffer named again after it was transferred', () => {
  // postMessage accepts a detached buffer in a transfer list and the receiver drops the whole
  // message: a sync requester would block until its timeout, then lose the session.
  test.each([
    ['the worker-sync channel (sync calls)', true],
    ['a MessagePort (async calls)', false],
  ])('over %s: that call fails alone as unencodable, the session goes on', async (_name, sync) => {
    const worker = startClientWorker(new RemoteServer({ modules: { tools: () => serverTools([]) } }), sync);
    try {
      const outcome = await worker.run('transferTwice');
      expect(outcome.first).toEqual({ value: 8 });
      expect(outcome.again.code).toBe('ERR_REMOTE_UNENCODABLE');
      expect(outcome.again.message).toMatch(/detached/);
      expect(outcome.after).toEqual({ value: 6 });
      expect(outcome.closed).toBe(false);
    } finally {
      await worker.stop();
    }
  });
});

describe('over a socket (a transport that cannot transfer)', () => {
  test('transfer copies: the value arrives and stays usable here', async () => {
    const [a, b] = await socketPair();
    const made: ArrayBuffer[] = [];
    const server = new RemoteServer({ modules: { tools: () => serverTools(made) } });
    const session = server.serve(transports.stream(a));
    const remote = connect(transports.stream(b), { sync: false });
    try {
      const tools = (await remote.require('tools')) as unknown as Tools;
      const bytes = new Uint8Array(64).fill(1);
      expect(await tools.sum(transfer(bytes, [bytes.buffer]))).toBe(64);
      expect(bytes.byteLength).toBe(64);
    } finally {
      remote.close();
      session.close();
    }
  });
});

test('transfer refuses a value that is not an object and a list that is not an array', () => {
  expect(() => transfer(5, [])).toThrow(TypeError);
  expect(() => transfer({}, 'x' as never)).toThrow('transferables must be an array');
});
