// The duplex-stream transport's own details: framing, the frame-size cap, malformed frames,
// backpressure and how a stream ends. Framing details use an in-memory duplex so chunk boundaries
// are exact; the rest runs over real TCP (and TLS) sockets on 127.0.0.1. What every transport
// does (ordering, close, peer death, oversize, backlog, malformed input) is in the conformance
// suite (test/remote/transports/stream.test.ts).
import { once } from 'node:events';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { connect, RemoteServer } from '../../src/ts/remote';
import type { Transport, WireMessage } from '../../src/ts/remote/transport';
import {
  encodeFrame,
  FrameError,
  streamTransport,
} from '../../src/ts/remote/transports/stream';
import { frameOf as rawFrameOf, frameOfJson, messageOfFrame, msgpackOfJson } from './frames';
import { selfSignedCertificate, socketPair } from './socket_pair';

/** Records what a transport reports. */
function record(transport: Transport, problem?: (error: Error) => void) {
  const messages: WireMessage[] = [];
  const closes: Array<Error | undefined> = [];
  let onClose: (error: Error | undefined) => void = () => {};
  const closed = new Promise<Error | undefined>((resolve) => (onClose = resolve));
  transport.start({
    message: (message) => messages.push(message),
    close: (error) => {
      closes.push(error);
      onClose(error);
    },
    problem,
  });
  return { messages, closes, closed };
}

/** Polls a condition on the event loop, bounded. */
async function until(condition: () => boolean, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An in-memory duplex: the test pushes exact chunks in and reads what the transport wrote. */
function rawStream(options: { highWaterMark?: number; holdWrites?: boolean } = {}) {
  const written: Buffer[] = [];
  const held: Array<() => void> = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      if (options.holdWrites) held.push(() => callback());
      else callback();
    },
    writableHighWaterMark: options.highWaterMark ?? 16 * 1024,
  });
  return {
    stream,
    written,
    /** Lets held writes complete, as a peer that starts reading again. */
    releaseWrites() {
      while (held.length > 0) held.shift()!();
    },
    push(bytes: Buffer | string | null) {
      stream.push(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    },
  };
}

/** A frame holding the message written as JSON text, or holding these very bytes. */
function frameOf(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? frameOfJson(payload) : rawFrameOf(payload);
}

function decodeAll(chunks: Buffer[]): unknown[] {
  const all = Buffer.concat(chunks);
  const out: unknown[] = [];
  for (let at = 0; at < all.length; ) {
    const length = all.readUInt32BE(at);
    out.push(messageOfFrame(all.subarray(at, at + 4 + length)));
    at += 4 + length;
  }
  return out;
}

describe('framing', () => {
  test('a frame delivered one byte at a time is reassembled into one message', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream));
    for (const byte of frameOf('{"op":"ping","n":1}')) raw.push(Buffer.from([byte]));
    await until(() => seen.messages.length === 1, 'the message');
    expect(seen.messages).toEqual([{ op: 'ping', n: 1 }]);
    expect(seen.closes).toEqual([]);
  });

  test('many frames coalesced into one chunk are delivered in order', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream));
    const frames = Array.from({ length: 50 }, (_, i) => frameOf(JSON.stringify({ i })));
    raw.push(Buffer.concat(frames));
    await until(() => seen.messages.length === 50, '50 messages');
    expect(seen.messages.map((m) => m.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('chunks that split headers and payloads anywhere still yield every frame', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream));
    const all = Buffer.concat(
      Array.from({ length: 20 }, (_, i) => frameOf(JSON.stringify({ i, text: 'é'.repeat(i) }))),
    );
    // Cut points of 1, 2, 3, ... bytes: every header straddles a boundary at some point.
    for (let at = 0, size = 1; at < all.length; at += size, size = (size % 7) + 1) {
      raw.push(all.subarray(at, at + size));
    }
    await until(() => seen.messages.length === 20, '20 messages');
    expect(seen.messages[19]).toEqual({ i: 19, text: 'é'.repeat(19) });
  });

  test('random messages cut at random points arrive intact and in order (seeded, 20 rounds)', async () => {
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    for (let round = 0; round < 20; round++) {
      const raw = rawStream();
      const seen = record(streamTransport(raw.stream));
      const sent = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, i) => ({
        i,
        text: 'aé€😀'.repeat(Math.floor(random() * 300)),
      }));
      const all = Buffer.concat(sent.map((m) => frameOf(JSON.stringify(m))));
      for (let at = 0; at < all.length; ) {
        const size = 1 + Math.floor(random() * 700);
        raw.push(all.subarray(at, at + size));
        at += size;
      }
      await until(() => seen.messages.length === sent.length, `round ${round}`);
      expect(seen.messages).toEqual(sent);
      expect(seen.closes).toEqual([]);
    }
  });

  test('send writes a 4-byte big-endian length and the MessagePack payload, in one write', () => {
    const raw = rawStream();
    const transport = streamTransport(raw.stream);
    record(transport);
    transport.send({ op: 'hi', s: 'ü' });
    expect(raw.written).toHaveLength(1);
    const frame = raw.written[0];
    // map of 2, "op", "hi", "s", "ü" (2 bytes of UTF-8)
    expect([...frame]).toEqual([0, 0, 0, 12, 0x82, 0xa2, 0x6f, 0x70, 0xa2, 0x68, 0x69, 0xa1, 0x73, 0xa2, 0xc3, 0xbc]);
  });

  test('a large binary value in a frame joined from chunks is memory of its own: a whole ArrayBuffer, no chunk\'s', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream));
    const value = new Uint8Array(200_000).map((_, i) => i % 251);
    const frame = Buffer.from(encodeFrame({ op: 'x', b: value, n: 1 }));
    // Chunk boundaries inside the header, the value's header and the value itself.
    const chunks = [2, 9, 30, 5000, 120_000].reduce<Buffer[]>((list, end, i, ends) => {
      list.push(Buffer.from(frame.subarray(i === 0 ? 0 : ends[i - 1], end)));
      return list;
    }, []);
    chunks.push(Buffer.from(frame.subarray(120_000)));
    for (const chunk of chunks) raw.push(chunk);
    await until(() => seen.messages.length === 1, 'the message');
    const received = seen.messages[0].b as Uint8Array;
    expect(received.byteOffset).toBe(0);
    expect(received.buffer.byteLength).toBe(value.length);
    // The stream's chunks may be used again: the value does not change with them.
    for (const chunk of chunks) chunk.fill(0);
    expect(Buffer.from(received).equals(Buffer.from(value))).toBe(true);
    expect(seen.messages[0].n).toBe(1);
  });

  test('binary data travels as raw bytes: a 1 MiB buffer costs 1 MiB and some', () => {
    const raw = rawStream();
    const transport = streamTransport(raw.stream);
    record(transport);
    const bytes = new Uint8Array(1 << 20).fill(7);
    transport.send({ op: 'x', b: bytes });
    const frame = Buffer.concat(raw.written);
    expect(frame.length).toBeLessThan((1 << 20) + 32);
    expect(messageOfFrame(frame)).toEqual({ op: 'x', b: bytes });
  });

});

describe('frame-size cap (incoming frames over it are skipped, never buffered)', () => {
  /** Records what a transport reports, problems included. */
  function recordProblems(transport: Transport) {
    const problems: Error[] = [];
    const seen = record(transport, (error) => problems.push(error));
    return { ...seen, problems };
  }

  test('a header declaring more than the cap is reported at once, before any payload arrives', async () => {
    const raw = rawStream();
    const seen = recordProblems(streamTransport(raw.stream, { maxFrameBytes: 1024 }));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025, 0);
    raw.push(header);
    await until(() => seen.problems.length === 1, 'the report');
    expect(seen.problems[0]).toMatchObject({
      code: 'ERR_REMOTE_PROTOCOL',
      message: 'stream transport: skipped an incoming frame of 1025 bytes, more than maxFrameBytes (1024)',
    });
    expect(seen.closes).toEqual([]);
  });

  test('the skipped payload may come in any chunks; the frame after it arrives', async () => {
    const raw = rawStream();
    const seen = recordProblems(streamTransport(raw.stream, { maxFrameBytes: 64 }));
    const all = Buffer.concat([frameOf(JSON.stringify({ s: 'x'.repeat(200) })), frameOf('{"after":1}')]);
    for (let at = 0; at < all.length; at += 7) raw.push(all.subarray(at, at + 7));
    await until(() => seen.messages.length === 1, 'the frame after the skipped one');
    expect(seen.messages).toEqual([{ after: 1 }]);
    expect(seen.problems).toHaveLength(1);
  });

  test('the default cap is 16 MiB: 16 MiB + 1 is skipped', async () => {
    const raw = rawStream();
    const seen = recordProblems(streamTransport(raw.stream));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(16 * 1024 * 1024 + 1, 0);
    raw.push(header);
    await until(() => seen.problems.length === 1, 'the report');
    expect(seen.problems[0].message).toMatch(/more than maxFrameBytes \(16777216\)/);
  });

  test('a frame of exactly the cap is accepted', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream, { maxFrameBytes: 64 }));
    // map of 1, "s", a str8 header, 59 characters
    const payload = msgpackOfJson(JSON.stringify({ s: 'x'.repeat(59) }));
    expect(payload.length).toBe(64);
    raw.push(rawFrameOf(payload));
    await until(() => seen.messages.length === 1, 'the message');
    expect(seen.closes).toEqual([]);
  });

  test('a claimed 4 GiB frame is never allocated: memory follows the bytes that arrive', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream, { maxFrameBytes: 0xffffffff }));
    const before = process.memoryUsage().arrayBuffers;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff, 0);
    raw.push(Buffer.concat([header, Buffer.from('{"partial":')]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.closes).toEqual([]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
    raw.push(null);
    const error = await seen.closed;
    expect(error!.message).toMatch(/ended in the middle of a frame \(11 bytes unread\)/);
  });

  test('the message of a refused send names its size and the cap', () => {
    const raw = rawStream();
    const transport = streamTransport(raw.stream, { maxFrameBytes: 32 });
    record(transport);
    expect(() => transport.send({ s: 'x'.repeat(100) })).toThrow(
      'stream transport: a message of 105 bytes exceeds the cap of 32 bytes (maxFrameBytes)',
    );
  });
});

describe('malformed frames', () => {
  test('good frames around a bad one in the same chunk are all delivered', async () => {
    const raw = rawStream();
    const problems: Error[] = [];
    const seen = record(streamTransport(raw.stream), (error) => problems.push(error));
    raw.push(Buffer.concat([frameOf('{"a":1}'), frameOf(Buffer.from('oops')), frameOf('{"a":3}')]));
    await until(() => seen.messages.length === 2, 'both good frames');
    expect(seen.messages).toEqual([{ a: 1 }, { a: 3 }]);
    expect(problems.map((e) => e.message)).toEqual(['stream transport: dropped a frame: Malformed frame: a message must be a map']);
    expect(seen.closes).toEqual([]);
  });

  test('a stream that delivers text instead of bytes is refused', async () => {
    const raw = rawStream();
    raw.stream.setEncoding('utf8');
    const seen = record(streamTransport(raw.stream));
    raw.push(frameOf('{"a":1}'));
    const error = await seen.closed;
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toMatch(/setEncoding/);
  });
});

describe('backpressure', () => {
  test('frames wait for drain when the stream is full, then go out in order', async () => {
    const raw = rawStream({ highWaterMark: 64, holdWrites: true });
    const transport = streamTransport(raw.stream);
    record(transport);
    for (let i = 0; i < 20; i++) transport.send({ i, pad: 'x'.repeat(40) });
    // The stream took two frames (the second filled it past its 64-byte mark) and asked us to
    // wait: the other 18 are held by the transport, not piled into the stream's buffer.
    expect(raw.stream.writableLength).toBeLessThanOrEqual(2 * 61);
    for (let round = 0; round < 100 && decodeAll(raw.written).length < 20; round++) {
      raw.releaseWrites();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(decodeAll(raw.written).map((m) => (m as { i: number }).i)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

});

describe('how a stream ends', () => {
  test('a peer that ends mid-frame closes the transport with a FrameError', async () => {
    const [a, b] = await socketPair();
    const sb = record(streamTransport(b));
    a.write(frameOf('{"x":1}').subarray(0, 6));
    a.end();
    const error = await sb.closed;
    expect(error).toBeInstanceOf(FrameError);
    expect(error!.message).toBe('socket ended in the middle of a frame (2 bytes unread)');
  });

  test('close() ends the stream politely: both sockets end up destroyed', async () => {
    const [a, b] = await socketPair();
    const ta = streamTransport(a);
    const sa = record(ta);
    const sb = record(streamTransport(b));
    ta.close();
    expect([await sa.closed, await sb.closed]).toEqual([undefined, undefined]);
    await until(() => a.destroyed && b.destroyed, 'both sockets to close');
  });

  test('a stream error closes the transport with that error', async () => {
    const raw = rawStream();
    const seen = record(streamTransport(raw.stream));
    const boom = new Error('disk on fire');
    raw.stream.destroy(boom);
    expect(await seen.closed).toBe(boom);
  });
});

describe('TLS', () => {
  let key: Buffer | undefined;
  let cert: Buffer | undefined;
  beforeAll(() => {
    ({ key, cert } = selfSignedCertificate());
  });

  test('frames cross a TLS socket with a self-signed certificate made at test time', async () => {
    const server = tls.createServer({ key, cert });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
    const [[accepted]] = await Promise.all([
      once(server, 'secureConnection'),
      once(client, 'secureConnect'),
    ]);
    server.close();
    const tc = streamTransport(client);
    const ts = streamTransport(accepted as tls.TLSSocket);
    const sc = record(tc);
    const ss = record(ts);
    const big = 'y'.repeat(200_000); // several TLS records, so chunks split frames
    tc.send({ big });
    ts.send({ small: 1 });
    await until(() => ss.messages.length === 1 && sc.messages.length === 1, 'both messages');
    expect(ss.messages[0]).toEqual({ big });
    tc.close();
    expect(await ss.closed).toBeUndefined();
    await sc.closed;
  });
});

describe('bad input', () => {
  test('a non-stream is refused with a TypeError naming the argument', () => {
    expect(() => streamTransport({} as never)).toThrow(TypeError);
    expect(() => streamTransport(null as never)).toThrow(/^stream must be a duplex stream/);
  });

  test.each([0, -1, 1.5, 2 ** 32, Number.NaN, '16'])('maxFrameBytes %p is refused', (value) => {
    expect(() => streamTransport(rawStream().stream, { maxFrameBytes: value as number })).toThrow(
      new TypeError('options.maxFrameBytes must be an integer from 1 to 4294967295'),
    );
  });

  test('encodeFrame refuses a value that is not an object', () => {
    expect(() => encodeFrame([] as never)).toThrow(TypeError);
    expect(() => encodeFrame('x' as never)).toThrow('message must be an object');
  });
});

describe('a write that throws after the stream took the frame', () => {
  // A stream (a logger, an instrumented Duplex) whose write delivers the frame and then throws:
  // the transport reports ERR_REMOTE_UNENCODABLE, but the frame left. A frame transport never
  // sends such a request again (only structured clone's refusals are resent): the peer runs it once.
  test('the request runs once on the peer', async () => {
    let throwAfterWrite = false;
    let client!: Duplex;
    let server!: Duplex;
    client = new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        server.push(chunk);
        callback();
        if (throwAfterWrite) {
          throwAfterWrite = false;
          throw new Error('instrumentation failed after the write');
        }
      },
    });
    server = new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        client.push(chunk);
        callback();
      },
    });
    const ran: unknown[] = [];
    const session = new RemoteServer({ modules: { tools: () => ({ record: (value: unknown) => ran.push(value) }) } }).serve(
      streamTransport(server),
    );
    const remote = connect(streamTransport(client), { sync: false });
    try {
      const tools = (await remote.require('tools')) as { record(value: unknown): Promise<number> };
      throwAfterWrite = true;
      // This in-memory peer answers inside the write, before the throw: the caller may get the
      // answer or ERR_REMOTE_UNENCODABLE; what matters is that the request was written once.
      await tools.record({ id: 'once' }).catch(() => undefined);
      await expect(tools.record('next')).resolves.toBe(2);
      expect(ran).toEqual([{ id: 'once' }, 'next']);
    } finally {
      remote.close();
      session.close();
    }
  });
});
