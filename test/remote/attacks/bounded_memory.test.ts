/**
 * docs/security.md: a hostile peer cannot grow your memory without bound. What a session holds
 * goes back to nothing when it closes, and what a transport holds for a frame still arriving
 * is about the size of what arrived.
 */
import { RemoteServer, type RemoteSession } from '../../../src/ts/remote';
import { forceGC } from '../../../src/ts/testing';
import { asyncPair } from '../pair';
import { rawPeer, type RawPeer } from '../raw_peer';
import { frameOfSize, trickledStream } from './trickle';

describe('a session that closes while a served call runs', () => {
  test('keeps nothing exported for the answer it can no longer send', async () => {
    let session: RemoteSession | undefined;
    const server = new RemoteServer({
      modules: {
        tools: () => ({
          // Ends the session, then returns objects that go by reference.
          quit: () => {
            session?.close();
            return { handle: new (class Handle {})(), callback() {} };
          },
        }),
      },
    });
    const pair = asyncPair(server);
    session = pair.session;
    pair.remote.on('error', () => {});
    const tools = await pair.remote.require('tools');
    await expect(tools.quit()).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
    expect(pair.session.stats()).toMatchObject({ objects: 0, references: 0 });
    pair.close();
  });
});

describe('a stream peer that sends a frame one byte at a time', () => {
  test('makes the transport hold about the bytes it sent, not an object per byte', async () => {
    const frame = frameOfSize(1_000_000);
    const { emitter } = trickledStream();
    const used = (): number => {
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    await forceGC();
    const before = used();
    const sent = 200_000; // of the frame's 1,000,000: it stays incomplete, held
    for (let i = 0; i < sent; i++) emitter.emit('data', frame.subarray(i, i + 1));
    await forceGC();
    const held = used() - before;
    // Each one-byte read was kept as its own Buffer: about 125 bytes held per byte sent (25 MB
    // here, 2 GB for a frame of the default 16 MiB cap).
    expect(held).toBeLessThan(20 * sent);
    emitter.emit('close');
  });
});

describe('answers kept for pipelining (bounded by maxPendingCalls)', () => {
  let peer: RawPeer;
  let release: Array<(value: object) => void>;
  beforeEach(async () => {
    release = [];
    const tools = { slow: () => new Promise<object>((resolve) => release.push(resolve)) };
    peer = rawPeer(new RemoteServer({ modules: { tools: () => tools }, maxPendingCalls: 10 }));
    peer.session.on('error', () => {});
    await peer.hello();
  });
  afterEach(() => peer.close());

  test('are not kept past the bound for requests refused before they ran', async () => {
    // A request on an answer that was never kept is refused; with `keep` its failure was kept
    // for requests that might name it, whatever the bound: one entry per message, for ever.
    const refused = [];
    for (let i = 0; i < 50; i++) refused.push(peer.ask({ op: 'call', on: 999, keep: true, args: [] }));
    for (const answer of await Promise.all(refused)) expect(answer.op).toBe('error');
    expect(peer.session.stats().keptAnswers).toBeLessThanOrEqual(10);
  });

  test('finishing a pending answer many times does not loosen the bound on requests waiting', async () => {
    const tools = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
    const call = { op: 'call', target: tools, path: ['slow'], keep: true, args: [] };
    const first = await peer.ask(call);
    // One request waits on the pending answer; then the peer finishes it 100 times over.
    const waiting = peer.ask({ op: 'get', on: first.seq, path: ['size'] });
    peer.post({ op: 'free', e: [], a: new Array(100).fill(first.seq) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    release[0]({ size: 1 });
    expect((await waiting).op).toBe('result');
    // Each finish was counted as a waiting request leaving when the answer settled: the bound
    // (10) then let 100 more wait.
    const second = await peer.ask(call);
    const parked = await Promise.all(
      Array.from({ length: 20 }, () => {
        const answer = peer.ask({ op: 'get', on: second.seq, path: ['size'] });
        return Promise.race([answer, new Promise((resolve) => setTimeout(() => resolve('waiting'), 100))]);
      }),
    );
    release[1]({ size: 1 });
    const busy = parked.filter((answer: any) => /pipelined requests already wait/.test(JSON.stringify(answer?.error)));
    expect(busy).toHaveLength(10);
  });
});
