/**
 * Batching on MessagePort transports: the messages a session sends in one turn leave as one
 * `batch` message, and the receiver handles a batch's messages one by one, exactly as if each had
 * come alone — whatever a hostile peer puts in it.
 */
import { createHook } from 'node:async_hooks';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { connect, RemoteServer, transfer, transports, type RemoteClient } from '../../src/ts/remote';
import { WIRE_LIMITS } from '../../src/ts/remote/limits';
import { loggedPair } from './async/wire_log';
import { asyncPair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';
import { until } from './transports/ends';

const SERVER = join(__dirname, '..', 'fixtures', 'remote', 'server_worker.js');

/** A client of a server thread, over a port that counts what the client posts. */
function clientOfWorker(): { remote: RemoteClient<false>; posts: () => number; worker: Worker } {
  const worker = new Worker(SERVER, { workerData: { mode: 'parentPort' } });
  let posts = 0;
  const port = {
    postMessage(message: unknown, transferList?: readonly any[]) {
      posts++;
      worker.postMessage(message, transferList as any);
    },
    on: (event: string, listener: (...args: any[]) => void) => worker.on(event, listener),
    off: (event: string, listener: (...args: any[]) => void) => worker.off(event, listener),
  };
  return { remote: connect(transports.messagePort(port), { sync: false }), posts: () => posts, worker };
}

describe('a client on a MessagePort', () => {
  let client: ReturnType<typeof clientOfWorker>;
  beforeEach(async () => {
    client = clientOfWorker();
    await client.remote.ready;
  });
  afterEach(async () => {
    client.remote.close();
    await client.worker.terminate();
  });

  test('sends 10,000 calls made in one turn in a few messages (the first alone, at once), and each gets its own answer', async () => {
    const tools = await client.remote.require('tools');
    const before = client.posts();
    const answers = Promise.all(Array.from({ length: 10_000 }, (_, i) => tools.add(i, 1)));
    await Promise.resolve(); // the turn's messages have left
    expect(client.posts() - before).toBe(1 + Math.ceil((10_000 - 1) / WIRE_LIMITS.batchSize));
    expect(await answers).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
  });

  test('fails only the call whose message cannot be sent; the others of its turn are answered', async () => {
    const tools = await client.remote.require('tools');
    const { port1 } = new MessageChannel();
    const outcomes = await Promise.allSettled([
      tools.add(1, 1),
      tools.add(transfer({ n: 1 }, [port1, port1]), 1), // a duplicate in a transfer list: postMessage refuses it
      tools.add(3, 1),
    ]);
    port1.close();
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_REMOTE_UNENCODABLE' } });
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 4 });
  });

  test('fails at once the call that transfers a buffer an earlier call of its turn moved; the others of its batch are answered', async () => {
    const tools = await client.remote.require('tools');
    const buffer = new ArrayBuffer(8);
    const view = new Uint8Array(buffer);
    const first = tools.add(transfer(view, [buffer]), 1); // leaves at once: buffer detached
    const again = tools.add(transfer(view, [buffer]), 1); // queued, names a detached buffer
    const other = tools.add(3, 1); // queued in the same batch
    const outcomes = await Promise.race([
      Promise.allSettled([first, again, other]),
      new Promise((resolve) => setTimeout(resolve, 3_000, 'still pending after 3 s')),
    ]);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'fulfilled' }),
      expect.objectContaining({ status: 'rejected', reason: expect.objectContaining({ code: 'ERR_REMOTE_UNENCODABLE' }) }),
      { status: 'fulfilled', value: 4 },
    ]);
  });
});

test('what a session sent before closing reaches the peer before its goodbye', async () => {
  let hits = 0;
  const server = new RemoteServer({ modules: { m: () => ({ hit: () => ++hits }) } });
  const pair = asyncPair(server);
  const m = await pair.remote.require('m');
  m.hit().catch(() => {});
  m.hit().catch(() => {});
  pair.remote.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(hits).toBe(2);
  pair.close();
});

describe('a batch from a hostile peer', () => {
  let peer: RawPeer;
  let tools: number;
  const served = { add: (a: number, b: number) => a + b, slow: () => new Promise(() => {}) };
  beforeEach(async () => {
    peer = rawPeer(new RemoteServer({ modules: { tools: () => served }, maxPendingCalls: 10 }));
    peer.session.on('error', () => {});
    await peer.hello();
    tools = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
  });
  afterEach(() => peer.close());

  /** Posts a batch, then a request behind it: once that is answered, the batch was handled. */
  async function postBatch(m: unknown): Promise<void> {
    peer.post({ op: 'batch', m });
    await peer.ask({ op: 'require', name: 'tools' });
  }

  const add = (seq: number, a: unknown) => ({ op: 'call', seq, target: tools, path: ['add'], args: [a, 1] });
  const answerTo = (seq: number) => peer.received.filter((message) => message?.seq === seq);

  test('has each of its messages answered, in order', async () => {
    await postBatch([add(1, 1), add(2, 2), add(3, 3)]);
    expect([1, 2, 3].map((seq) => answerTo(seq))).toEqual([
      [{ op: 'result', seq: 1, value: 2 }],
      [{ op: 'result', seq: 2, value: 3 }],
      [{ op: 'result', seq: 3, value: 4 }],
    ]);
  });

  test('with one malformed message loses none of the others', async () => {
    await postBatch([add(1, 1), { op: 'call', seq: 2, target: tools, path: 'add', args: [] }, 'junk', add(3, 3)]);
    expect(answerTo(1)).toEqual([{ op: 'result', seq: 1, value: 2 }]);
    expect(answerTo(2)).toMatchObject([{ op: 'error', error: { message: expect.stringMatching(/path must be/) } }]);
    expect(answerTo(3)).toEqual([{ op: 'result', seq: 3, value: 4 }]);
    expect(peer.session.stats().pendingCalls).toBe(0);
  });

  test('refuses a batch inside it, and runs the rest', async () => {
    const dropped = peer.session.dropped;
    await postBatch([{ op: 'batch', m: [add(1, 1)] }, add(2, 2)]);
    expect(answerTo(1)).toEqual([]);
    expect(answerTo(2)).toEqual([{ op: 'result', seq: 2, value: 3 }]);
    expect(peer.session.dropped).toBe(dropped + 1);
  });

  test.each([
    ['not an array', { 0: { op: 'bye' }, length: 1 }],
    ['empty', []],
    ['longer than a batch may be', Array.from({ length: WIRE_LIMITS.maxBatch + 1 }, (_, i) => ({ op: 'get', seq: i + 1, target: 1, path: ['x'] }))],
  ])('is refused whole when its message list is %s, and the session goes on', async (_, m) => {
    const dropped = peer.session.dropped;
    await postBatch(m);
    expect(peer.received.filter((message) => message?.op === 'result' && message.seq < 1_000_000)).toEqual([]);
    expect(peer.session.dropped).toBe(dropped + 1);
    expect(peer.session.closed).toBe(false);
  });

  test('gives back the references in a batch it refused', async () => {
    await postBatch({ 0: { op: 'call', seq: 1, target: tools, path: ['add'], args: [{ $: 'ref', id: 77 }, 1] } });
    await peer.ask({ op: 'require', name: 'tools' }); // FREEs leave at the end of a turn
    expect(peer.received).toContainEqual({ op: 'free', e: [[77, 1]] });
  });

  test('counts each kept answer of its messages against maxPendingCalls', async () => {
    const calls = Array.from({ length: 50 }, (_, i) => ({ op: 'call', seq: i + 1, target: tools, path: ['slow'], keep: true, args: [] }));
    await postBatch(calls);
    expect(peer.session.stats().keptAnswers).toBe(10);
    const refused = calls.slice(10).map((call) => answerTo(call.seq)[0]?.error?.message);
    expect(refused).toEqual(Array(40).fill(expect.stringMatching(/Refused to keep an answer.*maxPendingCalls/)));
  });
});

test('a client sends no batch before the handshake, so a peer of another version can read its hello', async () => {
  const channel = new MessageChannel();
  const seen: unknown[] = [];
  (channel.port1 as MessagePort).on('message', (message) => seen.push(message));
  const remote = connect(transports.messagePort(channel.port2), { sync: false });
  remote.require('a').catch(() => {});
  remote.require('b').catch(() => {});
  // Bounded wait for what the client sent (a slow runner, ASan, takes longer than a few
  // milliseconds): three messages, or a batch, which ends the wait early and fails below.
  const ops = () => seen.map((message: any) => message.op);
  await until(() => ops().length >= 3 || ops().includes('batch'), "the client's first messages");
  expect(ops()).toEqual(['hello', 'require', 'require']);
  remote.close();
  channel.port1.close();
});

test('a loop of awaited calls schedules no FREE turn: the finish of each answer rides on the next call', async () => {
  const server = new RemoteServer({ modules: { tools: () => ({ echo: (x: unknown) => x }) } });
  const pair = asyncPair(server);
  const immediates: string[] = [];
  const hook = createHook({
    init(_id, type) {
      if (type === 'Immediate') immediates.push(type);
    },
  });
  try {
    const tools = await pair.remote.require('tools');
    await tools.echo(0);
    // Each answer is finished once it is known here, and the next call takes that finish with it.
    // A FREE turn scheduled for it (and cancelled by that call) would cost every call an immediate.
    hook.enable();
    for (let i = 1; i <= 20; i++) expect(await tools.echo(i)).toBe(i);
    hook.disable();
    expect(immediates).toEqual([]);
  } finally {
    hook.disable();
    pair.close();
  }
});

test('a loop of awaited calls, a turn between them, sends no FREE: the finish of each answer rides on the next call', async () => {
  const server = new RemoteServer({ modules: { tools: () => ({ echo: (x: unknown) => x }) } });
  const pair = loggedPair(server);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  try {
    const tools = await pair.remote.require('tools');
    pair.wire.clear();
    for (let i = 0; i < 3; i++) {
      expect(await tools.echo(i)).toBe(i);
      // Other work of the application between the calls (I/O): a turn of the event loop, the
      // turn a FREE batch would leave on, and far less than the finishes wait for a request.
      await turn();
    }
    expect(pair.wire.events.filter((event) => event.dir === '>').map((event) => event.op)).toEqual(Array(3).fill('call'));
  } finally {
    pair.close();
  }
});

test('a finish with no call after it still leaves in a FREE, and the peer drops the answer it kept', async () => {
  const server = new RemoteServer({ modules: { tools: () => ({ echo: (x: unknown) => x }) } });
  const pair = loggedPair(server);
  try {
    const tools = await pair.remote.require('tools');
    expect(await tools.echo(1)).toBe(1);
    await until(() => pair.session.stats().keptAnswers === 0, 'the FREE carrying the finish');
    expect(pair.wire.events.filter((event) => event.dir === '>' && event.op === 'free')).toHaveLength(1);
  } finally {
    pair.close();
  }
});
