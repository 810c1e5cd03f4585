// Values on message-channel transports go through structured clone as they are (issue 12): what
// the receiver gets, what goes on the wire, and what a hostile peer's clone records cannot do.
import { MessageChannel } from 'node:worker_threads';
import { RemoteServer } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';

const tools = {
  echo: (...values: unknown[]) => values,
  same: (a: unknown, b: unknown) => a === b,
  ping: () => 'pong',
};

describe('plain data on a MessagePort session', () => {
  let pair: Pair;
  let remote: { echo(...values: unknown[]): Promise<unknown[]>; same(a: unknown, b: unknown): Promise<boolean> };
  beforeAll(async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
    remote = (await pair.remote.require('tools')) as never;
  });
  afterAll(() => pair.close());

  test('travels as one clone record per value, not as a tagged tree', async () => {
    const peer = rawPeer(new RemoteServer({ modules: { tools: () => tools } }));
    try {
      await peer.hello();
      const toolsId = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
      const data = { a: [1, 'two', { three: new Map([[3, new Set([4])]]) }], d: new Date(5) };
      const answer = await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [{ $: 'clone', v: data }] });
      expect(answer.value).toEqual({ $: 'clone', v: [data] });
    } finally {
      peer.close();
    }
  });

  test('cycles and parts shared between arguments are kept', async () => {
    const shared = { name: 'shared' };
    const cyclic: { self?: unknown; shared: unknown } = { shared };
    cyclic.self = cyclic;
    const [a, b] = (await remote.echo(cyclic, [shared])) as [
      typeof cyclic,
      unknown[],
    ];
    expect(a.self).toBe(a);
    expect(b[0]).toBe(a.shared);
    expect(await remote.same(shared, shared)).toBe(true);
  });

  test('a Buffer still arrives as a Buffer, typed arrays and ArrayBuffers as themselves', async () => {
    const [buffer, floats, raw] = (await remote.echo(
      Buffer.from('hi'),
      new Float64Array([1.5]),
      new Uint8Array([7]).buffer,
    )) as [Buffer, Float64Array, ArrayBuffer];
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect(buffer.toString()).toBe('hi');
    expect(Object.prototype.toString.call(floats)).toBe('[object Float64Array]');
    expect([...floats]).toEqual([1.5]);
    expect(Object.prototype.toString.call(raw)).toBe('[object ArrayBuffer]');
    expect([...new Uint8Array(raw)]).toEqual([7]);
  });

  test('user data shaped like a reference marker is data', async () => {
    const [looksLikeRef] = (await remote.echo({ $: 'ref', id: 1 })) as [unknown];
    expect(looksLikeRef).toEqual({ $: 'ref', id: 1 });
  });
});

describe('a hostile peer sending clone records', () => {
  let peer: RawPeer;
  let toolsId: number;
  beforeEach(async () => {
    peer = rawPeer(new RemoteServer({ modules: { tools: () => tools }, maxDepth: 50 }));
    await peer.hello();
    toolsId = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
  });
  afterEach(() => peer.close());

  const call = (args: unknown[]) => peer.ask({ op: 'call', target: toolsId, path: ['echo'], args });

  test('a sparse array of length 2^32 - 1 is refused at its first hole, at once', async () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    sparse[2 ** 32 - 2] = 1;
    const started = performance.now();
    const answer = await call([{ $: 'clone', v: { list: sparse } }]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(answer).toMatchObject({ op: 'error', error: { name: 'RemoteError' } });
    expect(answer.error.message).toMatch(/a sparse array/);
  });

  test('nesting deeper than maxDepth is refused', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 60; i++) deep = [deep];
    const answer = await call([{ $: 'clone', v: deep }]);
    expect(answer.error.message).toMatch(/nested more than 50 levels deep/);
  });

  test('shared memory is refused: the peer could change it after the check', async () => {
    const answer = await call([{ $: 'clone', v: { view: new Uint8Array(new SharedArrayBuffer(8)) } }]);
    expect(answer.error.message).toMatch(/not plain data/);
  });

  test('a port or an error inside a clone is not plain data', async () => {
    const { port1 } = new MessageChannel();
    const withError = await call([{ $: 'clone', v: { e: new Error('x') } }]);
    expect(withError.error.message).toMatch(/Error that is not plain data/);
    port1.close();
  });

  test('a __proto__ key is an own property and pollutes nothing', async () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}}');
    const answer = await call([{ $: 'clone', v }]);
    expect(answer.op).toBe('result');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  test('a clone record of a primitive is malformed', async () => {
    const answer = await call([{ $: 'clone', v: 5 }]);
    expect(answer.error.message).toMatch(/bad clone/);
  });
});
