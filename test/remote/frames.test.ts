// The message <-> bytes codec of byte transports (codec/frames.ts): what it carries, and what
// hostile bytes cannot make it do.
import fc from 'fast-check';
import { decodeFrame, encodeFrame, frameHead, largeBinaryAt, MAX_FRAME_DEPTH, type FrameHole } from '../../src/ts/remote/codec/frames';
import { Packr } from 'msgpackr';
import { takePlainFrameDepth as plainFrameDepth } from '../../src/ts/remote/codec/plain_frames';
import { RemoteError } from '../../src/ts/remote/errors';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { streamTransport } from '../../src/ts/remote/transports/stream';
import type { WireMessage } from '../../src/ts/remote/transport';

/** What a message may hold: JSON values and bytes. */
const messageValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true }).filter((n) => !Object.is(n, -0)),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

function protocolFailure(run: () => unknown): RemoteError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error as RemoteError;
  }
}

describe('encodeFrame and decodeFrame', () => {
  test('a message comes back equal, bytes as Uint8Array', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), messageValue, { maxKeys: 6 }), (message) => {
        expect(decodeFrame(encodeFrame(message))).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });

  test('binary data is carried raw: 1 MiB of bytes makes a frame of 1 MiB and a few bytes', () => {
    const bytes = new Uint8Array(1 << 20).fill(1);
    const frame = encodeFrame({ op: 'x', b: bytes });
    expect(frame.length).toBeLessThan((1 << 20) + 16);
    const back = decodeFrame(frame).b as Uint8Array;
    expect(Object.prototype.toString.call(back)).toBe('[object Uint8Array]');
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });

  test('decoded bytes are a copy: they do not keep the frame alive or change with it', () => {
    const frame = encodeFrame({ b: new Uint8Array([1, 2, 3]) });
    const back = decodeFrame(frame).b as Uint8Array;
    expect(back.buffer.byteLength).toBe(3);
    frame.fill(0);
    expect([...back]).toEqual([1, 2, 3]);
  });

  test('an owned frame lends a large binary value that is most of it, as a view, and nothing else', () => {
    const large = new Uint8Array(100_000).fill(4);
    const frame = encodeFrame({ b: large, small: new Uint8Array([1, 2]) });
    const owned = decodeFrame(frame, true);
    expect((owned.b as Uint8Array).buffer).toBe(frame.buffer);
    expect((owned.small as Uint8Array).buffer.byteLength).toBe(2);
    // Not owned (a chunk the stream may reuse): a copy, whatever its size.
    expect((decodeFrame(frame).b as Uint8Array).buffer.byteLength).toBe(100_000);
    // Less than half of the frame: a copy, so that it does not keep the rest alive.
    const mixed = encodeFrame({ b: large, pad: 'x'.repeat(120_000) });
    expect((decodeFrame(mixed, true).b as Uint8Array).buffer.byteLength).toBe(100_000);
  });

  test('a frame encoded earlier is not overwritten by the frames encoded after it', () => {
    const first = encodeFrame({ n: 1, s: 'first' });
    for (let i = 0; i < 2000; i++) encodeFrame({ i, pad: 'y'.repeat(100) });
    expect(decodeFrame(first)).toEqual({ n: 1, s: 'first' });
  });

  test('encodeFrame refuses what is not an object', () => {
    expect(() => encodeFrame([] as never)).toThrow(TypeError);
    expect(() => encodeFrame(null as never)).toThrow('message must be an object');
  });
});

/** How deep the containers of `value` nest (a non-container is 0, an empty container 1). */
function nesting(value: unknown): number {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return 0;
  const items = Array.isArray(value) ? value : Object.values(value);
  return 1 + items.reduce((deepest: number, item) => Math.max(deepest, nesting(item)), 0);
}

describe('what decodeFrame vouches for (a clone in it skips the receiver\'s check)', () => {
  test('every message it made, with a depth no less than its containers nest', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), messageValue, { maxKeys: 6 }), (message) => {
        const decoded = decodeFrame(encodeFrame(message));
        expect(plainFrameDepth(decoded)).toBeGreaterThanOrEqual(nesting(decoded));
      }),
      { numRuns: 300 },
    );
  });

  test('the depth is exact for a chain of arrays', () => {
    for (const depth of [1, 2, 5, 50]) {
      let value: unknown = 1;
      for (let i = 1; i < depth; i++) value = [value];
      const decoded = decodeFrame(encodeFrame(depth === 1 ? {} : { v: value }));
      expect(plainFrameDepth(decoded)).toBe(depth);
    }
  });

  test('not a message holding a binary value left as a view of its frame', () => {
    const frame = encodeFrame({ op: 'x', b: new Uint8Array(100_000) });
    expect(plainFrameDepth(decodeFrame(frame, true))).toBeUndefined();
    // The same frame, not owned: the value is a copy, and the message is vouched for.
    expect(plainFrameDepth(decodeFrame(frame))).toBe(1);
  });

  test('once: a message read again is not vouched for (its values may have been changed)', () => {
    const made = decodeFrame(encodeFrame({ op: 'x', v: [1] }));
    expect(plainFrameDepth(made)).toBe(2);
    expect(plainFrameDepth(made)).toBeUndefined();
  });

  test('never an object it did not make, however it looks', () => {
    const made = decodeFrame(encodeFrame({ op: 'x', v: [1] }));
    expect(plainFrameDepth({ ...made })).toBeUndefined();
    expect(plainFrameDepth(structuredClone(made))).toBeUndefined();
  });
});

describe('decodeFrame on hostile bytes', () => {
  test('any bytes give a message or a protocol error, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const failure = protocolFailure(() => decodeFrame(bytes));
        if (failure !== undefined) expect(failure).toMatchObject({ code: 'ERR_REMOTE_PROTOCOL' });
      }),
      { numRuns: 2000 },
    );
  });

  test('mutated real frames give a message or a protocol error, nothing else', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), messageValue, { minKeys: 1, maxKeys: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (message, edits) => {
          const bytes = Uint8Array.from(encodeFrame(message));
          for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
          const failure = protocolFailure(() => decodeFrame(bytes));
          if (failure !== undefined) expect(failure).toMatchObject({ code: 'ERR_REMOTE_PROTOCOL' });
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a key with a setter on Object.prototype, installed at any time, becomes an own property and runs no setter', () => {
    const frame = encodeFrame({ op: 'x', v: { watched: 1 } });
    const calls: unknown[] = [];
    const before = decodeFrame(frame); // the decoder has seen Object.prototype without the setter
    expect(before.v).toEqual({ watched: 1 });
    Object.defineProperty(Object.prototype, 'watched', { set: (v) => calls.push(v), get: () => 'inherited', configurable: true });
    try {
      const message = decodeFrame(frame) as { v: { watched?: unknown } };
      expect(calls).toEqual([]);
      expect(Object.getOwnPropertyDescriptor(message.v, 'watched')?.value).toBe(1);
    } finally {
      delete (Object.prototype as { watched?: unknown }).watched;
    }
    // Taken away again: assigned as before.
    expect((decodeFrame(frame).v as { watched: number }).watched).toBe(1);
  });

  test('a __proto__ key is an own property, never the prototype', () => {
    // {"__proto__": {"polluted": true}}
    const bytes = Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa8, ...Buffer.from('polluted'), 0xc3]);
    const message = decodeFrame(bytes) as { [key: string]: unknown };
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    expect(message.polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(message, '__proto__')?.value).toEqual({ polluted: true });
  });

  test('no extension is read: not msgpackr\'s error extension, which builds a class named by the peer', () => {
    // {"e": ext 0x65 ["Function", "return 1"]}
    const payload = Buffer.from([0x92, 0xa8, ...Buffer.from('Function'), 0xa8, ...Buffer.from('return 1')]);
    const bytes = Buffer.from([0x81, 0xa1, 0x65, 0xc7, payload.length, 0x65, ...payload]);
    expect(() => decodeFrame(bytes)).toThrow(/type byte 0xc7 is not allowed/);
  });

  test('a count larger than the bytes left is refused before anything is allocated', () => {
    const bytes = Buffer.from([0x81, 0xa1, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeFrame(bytes)).toThrow(/4294967295 items announced, but only 0 bytes are left/);
  });

  test('nested arrays that each announce many items cost memory in proportion to the frame', async () => {
    // 30,000 arrays inside each other, each announcing 65,535 items (the bytes left allow it
    // at every level): sized up front each, they would need gigabytes before the frame is found
    // cut. Decoded in a worker with a small heap, built from dist like the fixtures.
    const frames = join(__dirname, '..', '..', 'dist', 'remote', 'codec', 'frames.js');
    const code = `
      const { parentPort } = require('node:worker_threads');
      const { decodeFrame } = require(${JSON.stringify(frames)});
      const levels = 30000;
      const parts = [Buffer.from([0x81, 0xa1, 0x61])];
      for (let i = 0; i < levels; i++) parts.push(Buffer.from([0xdc, 0xff, 0xff]));
      parts.push(Buffer.alloc(70000, 0xc0));
      try { decodeFrame(Buffer.concat(parts)); parentPort.postMessage('decoded'); }
      catch (error) { parentPort.postMessage(error.message); }`;
    const worker = new Worker(code, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const outcome = await new Promise<string>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (error: Error & { code?: string }) => resolve(`${error.code}: ${error.message}`));
    });
    await worker.terminate();
    expect(outcome).toMatch(/^Malformed frame: it ends inside a value/);
  });

  test(`nesting is bounded (${MAX_FRAME_DEPTH} containers) and costs no call stack`, () => {
    const deep = MAX_FRAME_DEPTH + 1;
    const bytes = Buffer.alloc(3 + deep + 1, 0x91); // {"a": [[[...[1]...]]]}
    bytes.set([0x81, 0xa1, 0x61], 0);
    bytes[bytes.length - 1] = 0x01;
    expect(() => decodeFrame(bytes)).toThrow(/nested more than/);
    const fits = Buffer.concat([Buffer.from([0x81, 0xa1, 0x61]), Buffer.alloc(100_000, 0x91), Buffer.from([1])]);
    expect(() => decodeFrame(fits)).not.toThrow();
  });

  test('trailing bytes, a cut value, a non-string key and a non-map message are refused', () => {
    expect(() => decodeFrame(Buffer.from([0x80, 0x00]))).toThrow(/1 bytes follow the message/);
    expect(() => decodeFrame(Buffer.from([0x81, 0xa1, 0x61, 0xa5, 0x61]))).toThrow(/ends inside a value/);
    expect(() => decodeFrame(Buffer.from([0x81, 0x01, 0x02]))).toThrow(/a map key is not a string/);
    expect(() => decodeFrame(Buffer.from([0x91, 0x01]))).toThrow(/a message must be a map/);
    expect(() => decodeFrame(Buffer.from([0x81, 0xa1, 0x61, 0xa2, 0xff, 0xfe]))).toThrow(/not valid UTF-8/);
  });
});

/** Two stream transports joined by a PassThrough: what the sender writes, the receiver reads. */
function pipedStreams() {
  const wire = new PassThrough();
  const sender = streamTransport({
    write: (chunk: Uint8Array, callback?: (error?: Error | null) => void) => wire.write(chunk, callback),
    end: () => wire.end(),
    destroy: () => wire.destroy(),
    on: () => undefined,
    once: () => undefined,
    removeListener: () => undefined,
  });
  return { sender, receiver: streamTransport(wire) };
}

describe('frameHead: what a frame decodeFrame refuses still says about itself', () => {
  /**
   * What the frame encoder (msgpackr, with the options frames.ts packs with) writes for values a
   * message never holds: timestamp extensions of every size (Date), 64-bit integers (bigint),
   * maps with number keys (Map), arrays (Set).
   */
  const anyPacked = fc.oneof(
    messageValue,
    fc.date({ noInvalidDate: true }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.array(fc.integer()).map((items) => new Set(items)),
    fc.array(fc.tuple(fc.integer(), messageValue), { maxLength: 4 }).map((entries) => new Map(entries)),
  );
  const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, variableMapSize: true });

  test('reads op, seq, id and keep past any values, whatever decodeFrame thinks of them', () => {
    fc.assert(
      fc.property(
        fc.array(anyPacked, { maxLength: 4 }),
        fc.nat({ max: 2 ** 40 }).map((n) => n + 1),
        fc.boolean(),
        (values, seq, keep) => {
          const message: Record<string, unknown> = { before: values[0], op: 'call', seq, args: values };
          if (keep) message.keep = true;
          message.id = seq + 1;
          expect(frameHead(packr.pack(message))).toEqual({ op: 'call', seq, id: seq + 1, keep });
        },
      ),
      { numRuns: 500 },
    );
  });

  test('any bytes give a head or undefined, nothing thrown', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const head = frameHead(bytes);
        if (head !== undefined) expect(typeof head.op).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  test('counts announced beyond the bytes left end the read at once', () => {
    // A map of 2^32 - 1 entries whose first value is an array of 2^32 - 1 items, in 18 bytes.
    const bytes = Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa2, 0x6f, 0x70, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x90, 0x90, 0x90, 0x90, 0x90]);
    expect(frameHead(bytes)).toBeUndefined();
  });

  test('a frame with no string op, or with bytes after its map, has no head', () => {
    expect(frameHead(packr.pack({ op: 1, seq: 2 }))).toBeUndefined();
    expect(frameHead(Uint8Array.from([...packr.pack({ op: 'call', seq: 2 }), 0xc0]))).toBeUndefined();
    expect(frameHead(packr.pack(['call', 2]))).toBeUndefined();
  });
});

describe('large buffers received over a stream transport', () => {
  test('are not changed by the frames that arrive after them', async () => {
    const { sender, receiver } = pipedStreams();
    const received: WireMessage[] = [];
    const all = new Promise<void>((resolve) =>
      receiver.start({
        message(m) {
          if (received.push(m) === 4) resolve();
        },
        close() {},
      }),
    );
    sender.start({ message() {}, close() {} });
    for (let i = 0; i < 4; i++) sender.send({ op: 'x', b: new Uint8Array(300_000).fill(i + 1) });
    await all;
    received.forEach((m, i) => expect((m.b as Uint8Array).every((byte) => byte === i + 1)).toBe(true));
    receiver.close();
  });
});

describe('a 16 MB buffer over a stream transport with default options', () => {
  test('arrives whole: the frame cap counts real bytes, not base64', async () => {
    const { sender, receiver } = pipedStreams();
    const received = new Promise<WireMessage>((resolve) => receiver.start({ message: resolve, close() {} }));
    sender.start({ message() {}, close() {} });
    const bytes = new Uint8Array(16_000_000).fill(9);
    sender.send({ op: 'x', b: bytes });
    const message = await received;
    expect((message.b as Uint8Array).length).toBe(16_000_000);
    expect(Buffer.from(message.b as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    receiver.close();
  });
});

/** `frame` with bytes [at, at + length) cut out into memory of their own, as a stream joins it. */
function cut(frame: Uint8Array, at: number, length: number): { rest: Uint8Array; hole: FrameHole } {
  const rest = new Uint8Array(frame.length - length);
  rest.set(frame.subarray(0, at));
  rest.set(frame.subarray(at + length), at);
  return { rest, hole: { at, bytes: frame.slice(at, at + length) } };
}

describe('frames with a hole (a large binary value cut out by the stream that joined the frame)', () => {
  test('largeBinaryAt finds the data of the large binary value in a real message frame', () => {
    const value = new Uint8Array(100_000).fill(9);
    const frame = encodeFrame({ op: 'call', id: 7, a: [{ $: 'arraybuffer', b: value }] });
    const found = largeBinaryAt(frame.subarray(0, 64), frame.length)!;
    expect(found.length).toBe(100_000);
    expect(Buffer.from(frame.subarray(found.at, found.at + found.length)).equals(Buffer.from(value))).toBe(true);
    // Small values, and values that are not most of the frame, are not cut out.
    expect(largeBinaryAt(encodeFrame({ b: new Uint8Array(1000) }), 1010)).toBeUndefined();
    expect(largeBinaryAt(frame.subarray(0, 64), 4 * frame.length)).toBeUndefined();
    // A prefix cut before the value's header says nothing.
    expect(largeBinaryAt(frame.subarray(0, found.at - 3), frame.length)).toBeUndefined();
  });

  test('largeBinaryAt never points past the frame, whatever the prefix holds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 1 << 22 }), (prefix, frameLength) => {
        const found = largeBinaryAt(prefix, frameLength);
        if (found !== undefined) expect(found.at + found.length).toBeLessThanOrEqual(frameLength);
      }),
      { numRuns: 2000 },
    );
  });

  test('the value whose bytes are the hole is the hole itself: memory of its own, not a view', () => {
    const frame = encodeFrame({ op: 'x', b: new Uint8Array(100_000).fill(3), n: 1 });
    const found = largeBinaryAt(frame, frame.length)!;
    const { rest, hole } = cut(frame, found.at, found.length);
    const message = decodeFrame(rest, true, hole);
    expect(message.b).toBe(hole.bytes);
    expect(message.n).toBe(1);
    expect((message.b as Uint8Array).buffer).not.toBe(rest.buffer);
    // Not a view of the frame, so the message is vouched for as any copied one.
    expect(plainFrameDepth(message)).toBe(1);
  });

  test('a hole anywhere, of any length, decodes as the whole frame does (crafted frames included)', () => {
    const frames = [
      encodeFrame({ op: 'x', b: new Uint8Array(70_000).fill(1), s: 'tail' }),
      encodeFrame({ op: 'y', s: 'é'.repeat(40), a: [1, 2, 3], b: new Uint8Array(300).fill(2) }),
    ];
    fc.assert(
      fc.property(fc.nat(frames.length - 1), fc.nat(), fc.nat(), fc.boolean(), (which, start, size, mutate) => {
        const frame = frames[which].slice();
        if (mutate) frame[start % frame.length] ^= 0xff;
        const at = start % frame.length;
        const length = 1 + (size % (frame.length - at));
        const { rest, hole } = cut(frame, at, length);
        const outcome = (decode: () => unknown) => {
          try {
            return { value: decode() };
          } catch (error) {
            return { error: (error as Error).message };
          }
        };
        expect(outcome(() => decodeFrame(rest, true, hole))).toEqual(outcome(() => decodeFrame(frame, true)));
      }),
      { numRuns: 1000 },
    );
  });

  test('a hole that starts where a value does but is not all of it (or more) is read as the whole frame', () => {
    const value = new Uint8Array(100_000).map((_, i) => i % 251);
    const frame = encodeFrame({ op: 'x', b: value, s: 'after' });
    const found = largeBinaryAt(frame, frame.length)!;
    for (const length of [found.length - 1, found.length + 1]) {
      const { rest, hole } = cut(frame, found.at, length);
      const message = decodeFrame(rest, true, hole);
      expect(message).toEqual({ op: 'x', b: value, s: 'after' });
      expect(message.b).not.toBe(hole.bytes);
    }
  });

  test('a hole is refused for a frame that is not owned', () => {
    const frame = encodeFrame({ op: 'x', b: new Uint8Array(100_000) });
    const { rest, hole } = cut(frame, 10, 100_000);
    expect(() => decodeFrame(rest, false, hole)).toThrow(TypeError);
  });
});
