// Values on message-channel transports go through structured clone as they are (issue 12): what
// the receiver gets, what goes on the wire, and what a hostile peer's clone records cannot do.
import { serialize } from 'node:v8';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { connect, RemoteServer, transports } from '../../src/ts/remote';
import { graphs, sameShape } from './graph';
import { asyncPair, type Pair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';

const tools = {
  echo: (...values: unknown[]) => values,
  identity: (value: unknown) => value,
  withThis: () =>
    function (this: unknown, ...args: unknown[]) {
      return args.length;
    },
  same: (a: unknown, b: unknown) => a === b,
  ping: () => 'pong',
  mixed: () => ({ run: () => 1, items: [{ a: 1 }, { b: [2, new Date(3)] }], bytes: Buffer.from('hi') }),
  argumentsOf: (...values: unknown[]) => argumentsOf(...values),
  settlesWith: (...values: unknown[]) => ({ later: Promise.resolve(argumentsOf(...values)) }),
};

/** An `arguments` object: plain to the clone scan, which structured clone refuses to copy. */
function argumentsOf(..._: unknown[]): IArguments {
  // eslint-disable-next-line prefer-rest-params
  return arguments;
}

/** An array with a named function: structured clone copies named properties, and fails on this one. */
function namedFunctionArray(): number[] {
  return Object.assign([1, 2], { fn: () => 0 });
}

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

  describe('plain parts beside what cannot go as a clone', () => {
    // A function, a class instance, a Buffer or a hole somewhere in a value keeps the value from
    // going as one clone record. Its plain parts still go as clone records, each hanging off the
    // tagged path to what needs the tagged encoding.
    test('on the wire: a clone record for each plain part, tagged records only on the way to the function and the Buffer', async () => {
      const peer = rawPeer(new RemoteServer({ modules: { tools: () => tools } }));
      try {
        await peer.hello();
        const toolsId = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
        const answer = await peer.ask({ op: 'call', target: toolsId, path: ['mixed'], args: [] });
        expect(answer.value).toEqual({
          $: 'object',
          e: [
            ['run', expect.objectContaining({ $: 'ref' })],
            ['items', { $: 'clone', v: [{ a: 1 }, { b: [2, new Date(3)] }] }],
            ['bytes', { $: 'buffer', b: expect.any(Uint8Array) }],
          ],
        });
      } finally {
        peer.close();
      }
    });

    test('a plain part arrives equal, the function as a proxy, the Buffer as a Buffer', async () => {
      const items = Array.from({ length: 100 }, (_, i) => ({ id: i, tags: [`t${i}`], at: new Date(i) }));
      const [out] = (await remote.echo({ run: (x: number) => x + 1, items, bytes: Buffer.from('hi') })) as [
        { run: (x: number) => Promise<number>; items: unknown; bytes: Buffer },
      ];
      expect(out.items).toEqual(items);
      expect(await out.run(1)).toBe(2);
      expect(Buffer.isBuffer(out.bytes)).toBe(true);
      expect(out.bytes.toString()).toBe('hi');
    });

    test('a part shared between a clone record and the tagged path, or between two records, arrives as one object', async () => {
      const shared = { name: 'shared', list: [1, 2] };
      const value = { run: () => 1, a: shared, b: [shared, () => 2], c: new Map([[shared, [shared]]]) };
      const [out] = (await remote.echo(value, shared)) as [typeof value, typeof shared];
      expect(out.b[0]).toBe(out.a);
      const [[key, list]] = [...out.c];
      expect(key).toBe(out.a);
      expect(list[0]).toBe(out.a);
      expect(out.a).toEqual(shared);
    });

    test('a cycle through the tagged path is kept, and so is one inside a plain part', async () => {
      const plain: { self?: unknown; n: number } = { n: 1 };
      plain.self = plain;
      const value: { run: () => number; self?: unknown; plain: unknown } = { run: () => 1, plain };
      value.self = value;
      const [out] = (await remote.echo(value)) as [{ self: unknown; plain: { self: unknown; n: number } }];
      expect(out.self).toBe(out);
      expect(out.plain.self).toBe(out.plain);
      expect(out.plain.n).toBe(1);
    });

    test('random graphs with a Buffer added somewhere keep their shape, their shared parts and their cycles', async () => {
      await fc.assert(
        fc.asyncProperty(graphs, async (values) => {
          const first = values[0];
          const bytes = Buffer.from([1, 2, 3]);
          if (first instanceof Map) first.set('bytes', bytes);
          else if (first instanceof Set) first.add(bytes);
          else if (Array.isArray(first)) first.push(bytes);
          else if (first instanceof Date) (values as unknown[]).push(bytes);
          else (first as Record<string, unknown>).bytes = bytes;
          const out = await remote.echo(...values);
          expect(sameShape(values, out)).toBe(true);
        }),
        { numRuns: 150 },
      );
    });

    test('objects structured clone copies otherwise than the tagged tree go tagged: an array with a named function, arguments, a boxed number', async () => {
      const named = Object.assign([1, 2], { fn: () => 0 });
      const args = (function (..._: unknown[]) {
        // eslint-disable-next-line prefer-rest-params
        return arguments;
      })(1, 2);
      const boxed = Object.setPrototypeOf(new Number(5), Object.prototype);
      const [out] = (await remote.echo({ run: () => 1, named, args, boxed })) as [Record<string, unknown>];
      expect(out.named).toEqual([1, 2]);
      expect(out.args).toEqual({ 0: 1, 1: 2 });
      expect(out.boxed).toEqual({});
    });

    test('an array that a getter grows while the value is read is walked to the length it had', async () => {
      const grown: unknown[] = [];
      let reads = 0;
      const item = () => ({
        get g() {
          reads++;
          if (grown.length < 1000) grown.push(item());
          return 1;
        },
      });
      grown.push(item());
      await remote.echo(grown, () => 0);
      expect(reads).toBeLessThanOrEqual(3);
    });

    test('a plain part first met in a `this` that is left out is held to maxDepth where the arguments meet it', async () => {
      // `this` goes as data only: one holding a function is left out, after the encoder met X in
      // it. The arguments meet X again far deeper, with its plain part P under it.
      const channel = new MessageChannel();
      const client = connect(transports.messagePort(channel.port2), { sync: false, maxDepth: 64 });
      new RemoteServer({ modules: { tools: () => tools } }).serve(transports.messagePort(channel.port1));
      try {
        const chain = (levels: number, leaf: unknown): unknown => {
          let value = leaf;
          for (let i = 0; i < levels; i++) value = { c: value };
          return value;
        };
        const { withThis } = (await client.require('tools')) as { withThis(): Promise<(...args: unknown[]) => Promise<number>> };
        const fn = await withThis();
        const x = { bytes: Buffer.from('x'), p: chain(10, 1) };
        await expect(fn.call({ method() {}, x }, chain(58, x))).rejects.toMatchObject({
          code: 'ERR_REMOTE_TOO_DEEP',
          message: expect.stringMatching(/^Cannot send a value nested more than 64 levels deep/),
        });
        await expect(fn.call({ method() {}, x }, chain(40, x))).resolves.toBe(1);
      } finally {
        client.close();
        channel.port1.close();
      }
    });

    test('maxDepth counts the tagged levels and the plain part under them together', async () => {
      const channel = new MessageChannel();
      const client = connect(transports.messagePort(channel.port2), { sync: false, maxDepth: 8 });
      new RemoteServer({ modules: { tools: () => tools } }).serve(transports.messagePort(channel.port1));
      try {
        const { identity } = (await client.require('tools')) as { identity(value: unknown): Promise<unknown> };
        const nest = (levels: number): unknown => {
          let value: unknown = 0;
          for (let i = 0; i < levels; i++) value = [value];
          return value;
        };
        // Two tagged levels (the object and its array), then the plain part's levels.
        const within = { run: () => 1, list: [nest(6)] };
        await expect(identity(within)).resolves.toMatchObject({ list: [nest(6)] });
        const deeper = { run: () => 1, list: [nest(7)] };
        await expect(identity(deeper)).rejects.toMatchObject({ code: 'ERR_REMOTE_TOO_DEEP' });
      } finally {
        client.close();
        channel.port1.close();
      }
    });
  });

  describe('values the clone scan takes for plain and structured clone refuses', () => {
    // The scan reads what a value holds, not its internal slots, so these pass it; the message
    // is then encoded again, tagged, and each goes as the tagged encoding documents.
    test('an arguments object passed whole arrives as a plain object of its items', async () => {
      await expect(remote.echo(argumentsOf(1, 'two'))).resolves.toEqual([{ 0: 1, 1: 'two' }]);
    });

    test('an array with a named function passed whole arrives as its items', async () => {
      await expect(remote.echo(namedFunctionArray())).resolves.toEqual([[1, 2]]);
    });

    test('the calls sent in the same turn are answered as well', async () => {
      const answers = await Promise.all([remote.echo(1), remote.echo(argumentsOf(2)), remote.echo(3)]);
      expect(answers).toEqual([[1], [{ 0: 2 }], [3]]);
    });

    test('calls of one turn still run in the order of the code when two of them are sent again', async () => {
      const ran: unknown[] = [];
      const logging = asyncPair(new RemoteServer({ modules: { log: () => ({ log: (value: unknown) => void ran.push(value) }) } }));
      try {
        const { log } = (await logging.remote.require('log')) as { log(value: unknown): Promise<void> };
        await Promise.all([log('first'), log(argumentsOf('second')), log(argumentsOf('third')), log('fourth')]);
        expect(ran).toEqual(['first', { 0: 'second' }, { 0: 'third' }, 'fourth']);
      } finally {
        logging.close();
      }
    });

    test('a result structured clone refuses whole is answered tagged', async () => {
      const { argumentsOf: remoteArguments } = (await pair.remote.require('tools')) as {
        argumentsOf(...values: unknown[]): Promise<unknown>;
      };
      await expect(remoteArguments(1, 2)).resolves.toEqual({ 0: 1, 1: 2 });
    });

    test('a promise settled with such a value settles with it tagged', async () => {
      const { settlesWith } = (await pair.remote.require('tools')) as unknown as {
        settlesWith(...values: unknown[]): Promise<{ later: Promise<unknown> }>;
      };
      const { later } = await settlesWith(1, 2);
      await expect(later).resolves.toEqual({ 0: 1, 1: 2 });
    });
  });
});

describe('the arrays weakwire builds', () => {
  // V8 serializes an array made by `new Array(length)` in its sparse form (every index written as
  // a key) even when it is full: more bytes and a slower read at every postMessage.
  const arraysIn = (value: unknown, found: unknown[][] = []): unknown[][] => {
    if (Array.isArray(value)) found.push(value);
    if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) arraysIn(item, found);
    return found;
  };
  // The same items in an array grown by push (a spread of a holey array stays holey).
  const packed = (array: unknown[]): unknown[] => {
    const out: unknown[] = [];
    for (const item of array) out.push(item);
    return out;
  };
  let channel: MessageChannel;
  let sent: unknown[];
  let client: ReturnType<typeof connect>;
  let echo: (...values: unknown[]) => Promise<unknown[]>;
  beforeEach(async () => {
    channel = new MessageChannel();
    sent = [];
    const post = channel.port2.postMessage.bind(channel.port2);
    channel.port2.postMessage = (message: unknown, transfer?: any) => {
      sent.push(message);
      post(message, transfer);
    };
    client = connect(transports.messagePort(channel.port2), { sync: false });
    new RemoteServer({ modules: { tools: () => tools } }).serve(transports.messagePort(channel.port1));
    ({ echo } = (await client.require('tools')) as { echo(...values: unknown[]): Promise<unknown[]> });
  });
  afterEach(() => {
    client.close();
    channel.port1.close();
  });

  test("for a message serialize packed: a call's arguments and a tagged array's items", async () => {
    await echo([() => 1, 'two', 3], { plain: true });
    const arrays = sent.flatMap((message) => arraysIn(message)).filter((array) => array.length > 0);
    expect(arrays.length).toBeGreaterThanOrEqual(2);
    for (const array of arrays) expect(serialize(array)).toEqual(serialize(packed(array)));
  });

  test('from a tagged array received serialize packed when the application sends them on', async () => {
    const [received] = (await echo([() => 1, 'two', 3])) as [unknown[]];
    received[0] = 1;
    expect(serialize(received)).toEqual(serialize([1, 'two', 3]));
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

  test('a clone record under tagged levels counts them towards maxDepth', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 30; i++) deep = [deep];
    let tagged: unknown = { $: 'clone', v: deep };
    for (let i = 0; i < 30; i++) tagged = { $: 'array', v: [tagged] };
    // `same` answers with a boolean: the refusal is the receiver's, not the echo's.
    const answer = await peer.ask({ op: 'call', target: toolsId, path: ['same'], args: [tagged, 1] });
    expect(answer.error.message).toMatch(/^Malformed value: nested more than 50 levels deep/);
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
