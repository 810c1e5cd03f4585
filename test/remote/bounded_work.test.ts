/**
 * Work per message is bounded by what the peer really sent, values deeper than `maxDepth` are
 * refused on either side with only that call failing, and every request gets exactly one answer,
 * whatever it carries (even a thrown value that throws when touched).
 */
import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { connect, RemoteServer, transports } from '../../src/ts/remote';
import { WIRE_LIMITS } from '../../src/ts/remote/limits';
import { asyncPair, type Pair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';

const tools = {
  echo: (v: unknown) => v,
  ping: () => 'pong',
  throwUntouchable(): never {
    // A thrown value whose every trap throws, and an Error whose message getter throws.
    throw new Proxy(
      {},
      {
        get: () => {
          throw new Error('touched');
        },
        getPrototypeOf: () => {
          throw new Error('touched');
        },
        ownKeys: () => {
          throw new Error('touched');
        },
      },
    );
  },
  throwBadMessage(): never {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('touched');
      },
    });
    Object.defineProperty(error, 'name', {
      get() {
        throw new Error('touched');
      },
    });
    throw error;
  },
};

/** [[[...[leaf]...]]] nested `depth` arrays deep. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** The encoded form of `nested(depth)`, as a hostile peer would write it. */
function nestedWire(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { $: 'array', v: [value] };
  return value;
}

/**
 * "At once", for a message that names 2^32 - 1 slots: visiting each slot, even a hole, takes
 * about 70 s on this machine (16 ns per slot), so a bound 35 times smaller still fails any code
 * that walks the length, and is 20 times what the answer takes under ASan on a loaded machine.
 */
const AT_ONCE_MS = 2_000;

function sparse(length: number, first?: unknown): unknown[] {
  const array: unknown[] = [];
  array.length = length;
  if (first !== undefined) array[0] = first;
  return array;
}

describe('a hostile peer cannot make one message cost more than its size', () => {
  let peer: RawPeer;
  let toolsId: number;
  beforeEach(async () => {
    peer = rawPeer(new RemoteServer({ modules: { tools: () => tools } }));
    await peer.hello();
    toolsId = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
  });
  afterEach(() => peer.close());

  /** Posts `message`, then measures how long a ping behind it takes to be answered. */
  async function costOf(message: unknown): Promise<number> {
    const started = performance.now();
    peer.post(message);
    const pong = await peer.ask({ op: 'call', target: toolsId, path: ['ping'], args: [] });
    expect(pong.value).toBe('pong');
    return performance.now() - started;
  }

  test('a FREE whose entry list is a sparse array of length 2^32 - 1', async () => {
    expect(await costOf({ op: 'free', e: sparse(2 ** 32 - 1, [toolsId, 0]) })).toBeLessThan(AT_ONCE_MS);
    expect(peer.session.stats().objects).toBe(1);
  });

  test('a FREE of more entries than any peer sends is refused whole', async () => {
    const e = Array.from({ length: 70_000 }, () => [toolsId, 1]);
    await costOf({ op: 'free', e });
    expect(peer.session.stats()).toMatchObject({ objects: 1, references: 1 });
  });

  test('a copied array that is sparse, of length 2^32 - 1, gets an error answer at once', async () => {
    const started = performance.now();
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [{ $: 'array', v: sparse(2 ** 32 - 1) }] });
    expect(performance.now() - started).toBeLessThan(AT_ONCE_MS);
    expect(answer.error.message).toMatch(/sparse/);
  });

  test('arguments that are a sparse array of length 2^32 - 1 get an error answer at once', async () => {
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: sparse(2 ** 32 - 1, 'x') });
    expect(answer.error.message).toMatch(/args has more than 65536 items/);
  });

  test('an entry list that is sparse gets an error answer at once', async () => {
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [{ $: 'object', e: sparse(2 ** 32 - 1) }] });
    expect(answer.error.message).toMatch(/sparse/);
  });

  test('a value nested deeper than maxDepth gets an error answer, and the session goes on', async () => {
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [nestedWire(300)] });
    expect(answer.op).toBe('error');
    expect(answer.error.props).toContainEqual(['code', 'ERR_REMOTE_TOO_DEEP']);
    const ok = await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [nestedWire(200)] });
    expect(ok.op).toBe('result');
  });

  test('a thrown value that throws whenever it is touched still gets exactly one answer', async () => {
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['throwUntouchable'], args: [] });
    expect(answer).toMatchObject({ op: 'error', error: { $: 'error' } });
  });

  test('an error whose name and message getters throw still gets exactly one answer', async () => {
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['throwBadMessage'], args: [] });
    expect(answer).toMatchObject({ op: 'error', error: { $: 'error', name: 'Error' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(peer.received.filter((m) => m?.seq === answer.seq)).toHaveLength(1);
  });
});

describe('maxDepth', () => {
  let pair: Pair;
  afterEach(() => pair.close());

  test('a value nested exactly maxDepth deep round-trips', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
    const remote = await pair.remote.require('tools');
    expect(await remote.echo(nested(255))).toEqual(nested(255)); // the argument list is one level
  });

  test('sending a deeper value fails only that call, with ERR_REMOTE_TOO_DEEP', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
    const remote = await pair.remote.require('tools');
    await expect(remote.echo(nested(1_500))).rejects.toMatchObject({
      code: 'ERR_REMOTE_TOO_DEEP',
      message: expect.stringMatching(/nested more than 256 levels deep/),
    });
    expect(await remote.ping()).toBe('pong');
    expect(pair.remote.closed).toBe(false);
  });

  test('a result too deep to send fails only that call', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => ({ deep: () => nested(1_000), ping: () => 'pong' }) } }));
    const remote = await pair.remote.require('tools');
    await expect(remote.deep()).rejects.toMatchObject({ code: 'ERR_REMOTE_TOO_DEEP' });
    expect(await remote.ping()).toBe('pong');
  });

  test('is an option of both sides', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools }, maxDepth: 1_000 }));
    pair.remote.close();
    const channel = new MessageChannel();
    const session = new RemoteServer({ modules: { tools: () => tools }, maxDepth: 1_000 }).serve(transports.messagePort(channel.port1));
    const client = connect(transports.messagePort(channel.port2), { maxDepth: 1_000 });
    const remote = await client.require('tools');
    expect(await remote.echo(nested(800))).toEqual(nested(800));
    client.close();
    session.close();
  });

  test('bad maxDepth values are refused with a clear TypeError', () => {
    expect(() => new RemoteServer({ maxDepth: 0 })).toThrow('RemoteServer: options.maxDepth must be an integer from 1 to 100000');
    expect(() => connect(transports.messagePort(new MessageChannel().port1), { maxDepth: 1.5 })).toThrow(
      'connect: options.maxDepth must be an integer from 1 to 100000',
    );
  });
});

describe('holes of a copied array we send (WIRE_LIMITS.maxHoles)', () => {
  let pair: Pair;
  afterEach(() => pair.close());

  test('up to maxHoles holes arrive as undefined', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
    const remote = await pair.remote.require('tools');
    const sparse: unknown[] = [];
    sparse[WIRE_LIMITS.maxHoles] = 'last'; // maxHoles holes, then one item
    const echoed = (await remote.echo(sparse)) as unknown[];
    expect(echoed).toHaveLength(WIRE_LIMITS.maxHoles + 1);
    expect(echoed[0]).toBeUndefined();
    expect(echoed[WIRE_LIMITS.maxHoles]).toBe('last');
  });

  test('one hole more fails only that call, with ERR_REMOTE_TOO_LARGE', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
    const remote = await pair.remote.require('tools');
    const sparse: unknown[] = [];
    sparse[WIRE_LIMITS.maxHoles + 1] = 'last';
    await expect(remote.echo(sparse)).rejects.toMatchObject({
      code: 'ERR_REMOTE_TOO_LARGE',
      message: expect.stringMatching(/sparse array of length 65538/),
    });
    expect(await remote.ping()).toBe('pong');
  });

  test('an array of length 2^32 - 1 with one item is refused at once, not after 4 billion steps', async () => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
    const remote = await pair.remote.require('tools');
    const sparse: unknown[] = [];
    sparse[2 ** 32 - 2] = 'last';
    await expect(remote.echo(sparse)).rejects.toMatchObject({ code: 'ERR_REMOTE_TOO_LARGE' });
  });
});

describe("'messageerror'", () => {
  test("a message the port cannot deserialize is reported on 'error' and the session goes on", async () => {
    const channel = new MessageChannel();
    const session = new RemoteServer({ modules: { tools: () => tools } }).serve(transports.messagePort(channel.port1));
    const client = connect(transports.messagePort(channel.port2));
    const remote = await client.require('tools');
    const reported = once(session, 'error');
    channel.port1.emit('messageerror', new Error('could not deserialize'));
    const [error] = await reported;
    expect(error).toMatchObject({ code: 'ERR_REMOTE_PROTOCOL', message: expect.stringMatching(/could not be deserialized/) });
    expect(await remote.ping()).toBe('pong');
    client.close();
  });
});
