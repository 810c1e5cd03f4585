// Values on frame transports (streams, WebSocket): plain data travels as it is, in clone records
// read straight from MessagePack, where the tagged tree was about six values per object. What the
// receiver gets, what goes on the wire, and what a hostile peer's clone records cannot do.
import { isDeepStrictEqual } from 'node:util';
import type net from 'node:net';
import fc from 'fast-check';
import { connect, PROTOCOL_NAME, PROTOCOL_VERSION, RemoteServer, transports, type RemoteClient } from '../../src/ts/remote';
import { encodeFrame } from '../../src/ts/remote/transports/stream';
import { asyncPair, type Pair } from './pair';
import { frameOf, messageOfFrame, msgpackOfJson } from './frames';
import { socketPair } from './socket_pair';

const tools = {
  echo: (...values: unknown[]) => values,
  same: (a: unknown, b: unknown) => a === b,
};

type Tools = { echo(...values: unknown[]): Promise<unknown[]>; same(a: unknown, b: unknown): Promise<boolean> };

/** A client of `server` over a fresh TCP connection on 127.0.0.1. */
async function tcpPair(server: RemoteServer): Promise<{ remote: RemoteClient<false>; close(): void }> {
  const [client, accepted] = await socketPair();
  const session = server.serve(transports.stream(accepted));
  const remote = connect(transports.stream(client), { sync: false });
  return {
    remote,
    close() {
      remote.close();
      session.close();
    },
  };
}

/** A peer that writes frames by hand to a served TCP connection and reads the answers. */
class FramePeer {
  private seq = 1_000;
  private bytes = Buffer.alloc(0);
  private readonly waiting = new Map<number, (answer: any) => void>();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      while (this.bytes.length >= 4 && this.bytes.length >= 4 + this.bytes.readUInt32BE(0)) {
        const end = 4 + this.bytes.readUInt32BE(0);
        const message = messageOfFrame(this.bytes.subarray(0, end));
        this.bytes = this.bytes.subarray(end);
        this.waiting.get(message.seq)?.(message);
      }
    });
  }

  static async start(server: RemoteServer): Promise<{ peer: FramePeer; close(): void }> {
    const [client, accepted] = await socketPair();
    const session = server.serve(transports.stream(accepted));
    const peer = new FramePeer(client);
    return {
      peer,
      close() {
        session.close();
        client.destroy();
      },
    };
  }

  /** Writes `bytes` (a whole frame) and resolves with the answer to `seq`. */
  answerTo(seq: number, bytes: Uint8Array): Promise<any> {
    return new Promise((resolve) => {
      this.waiting.set(seq, resolve);
      this.socket.write(bytes);
    });
  }

  ask(message: Record<string, unknown>): Promise<any> {
    const seq = this.seq++;
    return this.answerTo(seq, encodeFrame({ ...message, seq } as never));
  }

  nextSeq(): number {
    return this.seq++;
  }

  hello(): Promise<any> {
    return this.ask({ op: 'hello', protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION });
  }
}

describe('plain data on a TCP session', () => {
  let pair: { remote: RemoteClient<false>; close(): void };
  let remote: Tools;
  beforeAll(async () => {
    pair = await tcpPair(new RemoteServer({ modules: { tools: () => tools } }));
    remote = (await pair.remote.require('tools')) as never;
  });
  afterAll(() => pair.close());

  describe('on the wire', () => {
    let started: { peer: FramePeer; close(): void };
    let toolsId: number;
    beforeAll(async () => {
      started = await FramePeer.start(new RemoteServer({ modules: { tools: () => tools } }));
      await started.peer.hello();
      toolsId = (await started.peer.ask({ op: 'require', name: 'tools' })).value.id;
    });
    afterAll(() => started.close());
    const call = (args: unknown[]) => started.peer.ask({ op: 'call', target: toolsId, path: ['echo'], args });

    test('a tree of plain objects, arrays and primitives travels as one clone record', async () => {
      const data = { a: [1, 'two', { three: null, four: undefined }], ok: true, bytes: new Uint8Array([5]) };
      const answer = await call([{ $: 'clone', v: data }]);
      expect(answer.value).toEqual({ $: 'clone', v: [data] });
    });

    test.each([
      ['-0', { $: 'num', v: '-0' }],
      ['a bigint', { $: 'bigint', v: '12' }],
      ['a Date', { $: 'date', v: 5 }],
      ['a Buffer', { $: 'buffer', b: new Uint8Array([1]) }],
      ['a Map', { $: 'map', e: [[1, 2]] }],
      ['an object without prototype', { $: 'object', e: [['a', 1]], bare: true }],
    ])('a value holding %s goes as a tagged tree', async (_, tagged) => {
      const answer = await call([{ $: 'object', e: [['inner', tagged]] }]);
      expect(answer.value.$).toBe('array');
    });
  });

  test('cycles and parts shared between arguments are kept (they go tagged)', async () => {
    const shared = { name: 'shared' };
    const cyclic: { self?: unknown; shared: unknown } = { shared };
    cyclic.self = cyclic;
    const [a, b] = (await remote.echo(cyclic, [shared])) as [typeof cyclic, unknown[]];
    expect(a.self).toBe(a);
    expect(b[0]).toBe(a.shared);
    expect(await remote.same(shared, shared)).toBe(true);
  });

  test('large bytes in plain data arrive as a whole Uint8Array, and a large Buffer as a Buffer', async () => {
    const bytes = new Uint8Array(300_000).fill(3);
    const buffer = Buffer.alloc(300_000, 4);
    const [[inTree], [alone]] = (await Promise.all([remote.echo({ bytes }), remote.echo(buffer)])) as [
      [{ bytes: Uint8Array }],
      [Buffer],
    ];
    expect(Object.getPrototypeOf(inTree.bytes)).toBe(Uint8Array.prototype);
    expect(inTree.bytes.byteOffset).toBe(0);
    expect(inTree.bytes.buffer.byteLength).toBe(300_000);
    expect(inTree.bytes.every((b) => b === 3)).toBe(true);
    expect(Buffer.isBuffer(alone)).toBe(true);
    expect(alone.equals(buffer)).toBe(true);
  });

  test('user data shaped like a reference marker is data', async () => {
    const [looksLikeRef, looksLikeClone] = (await remote.echo({ $: 'ref', id: 1 }, { $: 'clone', v: 1 })) as unknown[];
    expect(looksLikeRef).toEqual({ $: 'ref', id: 1 });
    expect(looksLikeClone).toEqual({ $: 'clone', v: 1 });
  });

  describe('arrives as it does over a MessagePort', () => {
    let port: Pair;
    let overPort: Tools;
    beforeAll(async () => {
      port = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
      overPort = (await port.remote.require('tools')) as never;
    });
    afterAll(() => port.close());

    const key = fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('__proto__', 'constructor', '$', 'then', '0', '10'));
    const leaf = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.double(),
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map((n) => n * 2 ** 11),
      fc.boolean(),
      fc.constantFrom(null, undefined, -0),
      fc.bigInt(),
      fc.uint8Array({ maxLength: 4 }),
      fc.date({ noInvalidDate: true }),
    );
    const plain = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => {
          const out = {};
          for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
          return out;
        }),
      ),
    })).value;

    test('for any plain data (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(plain, { maxLength: 3 }), async (values) => {
          const [tcp, viaPort] = await Promise.all([remote.echo(...values), overPort.echo(...values)]);
          expect(isDeepStrictEqual(tcp, viaPort)).toBe(true);
          expect(isDeepStrictEqual(tcp, values)).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  });
});

describe('a hostile peer sending clone records in frames', () => {
  let started: { peer: FramePeer; close(): void };
  let toolsId: number;
  let reported: Error[];
  beforeEach(async () => {
    reported = [];
    const server = new RemoteServer({ modules: { tools: () => tools }, maxDepth: 50 });
    server.on('error', (error) => reported.push(error));
    started = await FramePeer.start(server);
    await started.peer.hello();
    toolsId = (await started.peer.ask({ op: 'require', name: 'tools' })).value.id;
  });
  afterEach(() => started.close());

  /** A call frame whose single argument is a clone record of `vBytes` (MessagePack, as written). */
  function callWithClone(seq: number, vBytes: Buffer, method = 'echo'): Buffer {
    const marker = 'MARKER-1234567890';
    const head = msgpackOfJson(
      JSON.stringify({ op: 'call', seq, target: toolsId, path: [method], args: [{ $: 'clone', v: marker }] }),
    );
    const markerBytes = msgpackOfJson(JSON.stringify(marker));
    const at = head.indexOf(markerBytes);
    return frameOf(Buffer.concat([head.subarray(0, at), vBytes, head.subarray(at + markerBytes.length)]));
  }

  test('nesting deeper than maxDepth is refused, with no call stack used for it', async () => {
    const seq = started.peer.nextSeq();
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const answer = await started.peer.answerTo(seq, callWithClone(seq, msgpackOfJson(deep)));
    expect(answer.op).toBe('error');
    expect(answer.error.message).toMatch(/nested more than 50 levels deep/);
  });

  // The receiver skips its check of a clone when the whole frame nests no deeper than maxDepth;
  // around that bound the answer must be the one the check gives: up to 50 levels, not 51.
  test.each([45, 46, 47, 48, 49, 50, 51, 52])('a clone nested %i deep is accepted up to maxDepth (50) and refused past it', async (depth) => {
    const seq = started.peer.nextSeq();
    const nested = '['.repeat(depth) + ']'.repeat(depth);
    // `same` answers a boolean: the answer does not nest the value again.
    const answer = await started.peer.answerTo(seq, callWithClone(seq, msgpackOfJson(nested), 'same'));
    if (depth <= 50) expect(answer).toMatchObject({ op: 'result', value: false });
    else {
      expect(answer.op).toBe('error');
      expect(answer.error.message).toMatch(/nested more than 50 levels deep/);
    }
  });

  test('a __proto__ key is an own property and pollutes nothing', async () => {
    const seq = started.peer.nextSeq();
    const answer = await started.peer.answerTo(seq, callWithClone(seq, msgpackOfJson('{"__proto__": {"polluted": true}}')));
    expect(answer.op).toBe('result');
    // It arrived as an own key: echoed, it goes back tagged, as every own `__proto__` key does.
    expect(answer.value).toEqual({
      $: 'array',
      v: [{ $: 'object', e: [['__proto__', { $: 'object', e: [['polluted', true]] }]] }],
    });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  test('an absurd item count is refused before anything is allocated; the session goes on', async () => {
    const seq = started.peer.nextSeq();
    let answered = false;
    void started.peer.answerTo(seq, callWithClone(seq, Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).then(() => (answered = true));
    // The frame is dropped whole: the request behind it is answered, it is not.
    const next = await started.peer.ask({ op: 'require', name: 'tools' });
    expect(next.op).toBe('result');
    expect(answered).toBe(false);
    expect(reported.map((error) => error.message)).toEqual([expect.stringMatching(/4294967295 items announced/)]);
  });

  test('an extension inside a clone is refused (msgpackr error extension 0x65); its request gets an error answer', async () => {
    const seq = started.peer.nextSeq();
    const ext = Buffer.concat([Buffer.from([0xc7, 3, 0x65]), Buffer.from([0x91, 0xa1, 0x78])]);
    // The frame cannot be decoded, but its op and seq can still be read (frameHead).
    const answer = await started.peer.answerTo(seq, callWithClone(seq, ext));
    expect(answer.op).toBe('error');
    expect(answer.error.message).toMatch(/could not be read: .*type byte 0xc7 is not allowed/);
    expect(reported.map((error) => error.message)).toEqual([expect.stringMatching(/type byte 0xc7 is not allowed/)]);
  });

  test('a clone record of a primitive is malformed', async () => {
    const answer = await started.peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [{ $: 'clone', v: 5 }] });
    expect(answer.error.message).toMatch(/bad clone/);
  });
});
