// Outgoing frames on sockets are written into memory the transport reuses (write_arena.ts): the
// arena must never hand out memory a frame still in flight occupies, never catch writes of other
// msgpackr users in the process, and stay off streams that may keep a written chunk.
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { Transport, WireMessage } from '../../src/ts/remote/transport';
import { decodeFrame, encodeFrameAfter } from '../../src/ts/remote/codec/frames';
import { streamTransport } from '../../src/ts/remote/transports/stream';
import { WriteArena } from '../../src/ts/remote/transports/write_arena';
import { socketPair } from './socket_pair';

const KB = 1024;

function received(transport: Transport): WireMessage[] {
  const messages: WireMessage[] = [];
  transport.start({ message: (message) => messages.push(message), close: () => {} });
  return messages;
}

async function until(condition: () => boolean, what: string, attempts = 1000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A message carrying `bytes` bytes, all equal to `fill`. */
function filled(fill: number, bytes: number): WireMessage {
  return { fill, b: new Uint8Array(bytes).fill(fill) };
}

function intact(message: WireMessage): boolean {
  const { fill, b } = message as { fill: number; b: Uint8Array };
  return b.every((byte) => byte === fill);
}

describe('frames in the arena', () => {
  test('frames waiting for a peer that does not read are not overwritten by later frames', async () => {
    const [client, server] = await socketPair();
    try {
      // The server reads nothing until every frame is sent: 16 MiB, more than the kernel's
      // buffers take, so the last frames wait, lent, in the client's socket.
      const sender = streamTransport(client);
      received(sender);
      for (let i = 0; i < 64; i++) sender.send(filled(i + 1, 256 * KB));
      const messages = received(streamTransport(server));
      await until(() => messages.length === 64, 'every frame');
      expect(messages.map((m) => (m as { fill: number }).fill)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
      expect(messages.every(intact)).toBe(true);
    } finally {
      client.destroy();
      server.destroy();
    }
  });

  test('the caller may change its bytes as soon as send returns', async () => {
    const [client, server] = await socketPair();
    try {
      const sender = streamTransport(client);
      received(sender);
      const messages = received(streamTransport(server));
      const message = filled(7, 1024 * KB);
      sender.send(message);
      (message as { b: Uint8Array }).b.fill(9);
      await until(() => messages.length === 1, 'the frame');
      expect(intact(messages[0])).toBe(true);
    } finally {
      client.destroy();
      server.destroy();
    }
  });

  test("another msgpackr user's packed bytes are not overwritten by later frames", async () => {
    const [client, server] = await socketPair();
    try {
      const sender = streamTransport(client);
      received(sender);
      const messages = received(streamTransport(server));
      sender.send(filled(1, 8 * KB));
      // Packed right after a frame went into the arena: it must be in msgpackr's own memory.
      const theirs = new Packr().pack({ mine: 'x'.repeat(200) });
      const copy = Buffer.from(theirs);
      for (let i = 2; i < 40; i++) sender.send(filled(i, 8 * KB));
      await until(() => messages.length === 39, 'every frame');
      expect(Buffer.compare(theirs, copy)).toBe(0);
    } finally {
      client.destroy();
      server.destroy();
    }
  });

  test('a stream in memory, which keeps written chunks, gets frames of their own', async () => {
    const written: Buffer[] = [];
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const sender = streamTransport(stream);
    received(sender);
    for (let i = 1; i <= 5; i++) sender.send(filled(i, 64 * KB));
    await new Promise((resolve) => setImmediate(resolve));
    const decoded = written.map((frame) => decodeFrame(frame.subarray(4)));
    expect(decoded.map((m) => (m as { fill: number }).fill)).toEqual([1, 2, 3, 4, 5]);
    expect(decoded.every(intact)).toBe(true);
  });
});

describe('WriteArena', () => {
  test('frames lent at once never share memory, whatever the sizes and the order they come back in', () => {
    // Each step encodes a frame (through the arena when it has room) or gives a lent frame back;
    // every frame not given back yet must still hold what was encoded into it.
    const step = fc.oneof(
      fc.record({ send: fc.integer({ min: 0, max: 600 * KB }) }),
      fc.record({ giveBack: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const arena = new WriteArena();
        const lent: Array<{ frame: Uint8Array; fill: number; done?: () => void }> = [];
        let fill = 0;
        for (const s of steps) {
          if ('send' in s) {
            fill = (fill % 250) + 1;
            const frame = encodeFrameAfter(filled(fill, s.send), 4, arena.lend());
            lent.push({ frame, fill, done: arena.taken(frame) });
          } else if (lent.length > 0) {
            const [given] = lent.splice(s.giveBack % lent.length, 1);
            given.done?.();
          }
          for (const { frame, fill: expected } of lent) {
            const message = decodeFrame(frame.subarray(4)) as { fill: number };
            if (message.fill !== expected || !intact(message)) return false;
          }
        }
        return true;
      }),
      { numRuns: 40 },
    );
  });

  test('the arena is used again once every frame is given back', () => {
    const arena = new WriteArena();
    const first = encodeFrameAfter(filled(1, 100), 4, arena.lend());
    arena.taken(first);
    // Grown to hold the frames seen so far, now that nothing is lent... (the first went to memory
    // of its own: the arena starts empty).
    const second = encodeFrameAfter(filled(2, 100), 4, arena.lend());
    const giveBack = arena.taken(second)!;
    expect(second.buffer).toBe(arena.bytes.buffer);
    giveBack();
    const third = encodeFrameAfter(filled(3, 100), 4, arena.lend());
    expect(third.buffer).toBe(arena.bytes.buffer);
    expect(third.byteOffset).toBe(second.byteOffset);
  });
});
