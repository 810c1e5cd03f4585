// Outgoing frames on sockets are written into memory the transport reuses (write_arena.ts): the
// arena must never hand out memory a frame still in flight occupies, never catch writes of other
// msgpackr users in the process, and stay off streams that may keep a written chunk.
import { once } from 'node:events';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { Transport, WireMessage } from '../../src/ts/remote/transport';
import { decodeFrame, encodeFrame, encodeFrameAfter } from '../../src/ts/remote/codec/frames';
import { streamTransport } from '../../src/ts/remote/transports/stream';
import { KEEP_BYTES, WriteArena, writeArena } from '../../src/ts/remote/transports/write_arena';
import { gcUntil } from '../../src/ts/testing';
import { selfSignedCertificate, socketPair, tlsSocketPair } from './socket_pair';

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

function fills(messages: WireMessage[]): number[] {
  return messages.map((m) => (m as { fill: number }).fill);
}

function oneTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/**
 * Sends `count` frames of `bytes` bytes from `client` while `server` reads nothing (a socket
 * with no reader is paused, so the kernel's buffers fill and the rest wait in the client), one
 * per turn of the event loop so that frames the kernel took are given back and their memory is
 * used again meanwhile; then returns the transport that starts reading them when asked to.
 */
async function sendUnread(client: net.Socket, server: net.Socket, count: number, bytes: number) {
  const sender = streamTransport(client);
  received(sender);
  for (let i = 0; i < count; i++) {
    sender.send(filled((i % 250) + 1, bytes));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sender, read: () => received(streamTransport(server)) };
}

/**
 * Where each frame written into the thread's arena went, to check that a test did make the arena
 * hand out memory again while earlier frames were still waiting.
 */
function recordPlacements(): { reused: () => boolean; stop: () => void } {
  const arena = writeArena();
  const offsets = new Map<number, number>();
  const spy = jest.spyOn(arena, 'taken').mockImplementation(function (this: WriteArena, frame) {
    const done = WriteArena.prototype.taken.call(this, frame);
    if (done !== undefined) offsets.set(frame.byteOffset, (offsets.get(frame.byteOffset) ?? 0) + 1);
    return done;
  });
  return { reused: () => [...offsets.values()].some((n) => n > 1), stop: () => spy.mockRestore() };
}

/** Grows the thread's arena to its largest, through a pair that reads. */
async function warmArena(): Promise<void> {
  const [client, server] = await socketPair();
  try {
    const sender = streamTransport(client);
    received(sender);
    const messages = received(streamTransport(server));
    for (let i = 0; i < 3; i++) {
      sender.send(filled(1, 2 * 1024 * KB));
      await until(() => messages.length === i + 1, 'a warming frame');
    }
    await arenaIdle();
  } finally {
    client.destroy();
    server.destroy();
  }
}

/** Waits until every frame the thread's sockets wrote into the arena has been given back. */
function arenaIdle(): Promise<void> {
  return until(() => writeArena().used === 0, 'the arena to be given back');
}

let tlsCredentials: { key: Buffer; cert: Buffer } | undefined;
function credentials(): { key: Buffer; cert: Buffer } {
  return (tlsCredentials ??= selfSignedCertificate());
}

describe('frames in the arena', () => {
  // Over TLS, which encrypts a write into buffers of its own at its own pace, the callback must
  // still come only once the cleartext frame is no longer read.
  test.each([
    ['TCP', () => socketPair()],
    ['TLS', () => tlsSocketPair(credentials())],
  ])('over %s, frames waiting for a peer that does not read are not overwritten by later frames', async (_name, pair) => {
    await warmArena();
    const [client, server] = await pair();
    const placements = recordPlacements();
    try {
      // 16 MiB, more than the kernel's buffers take: the last frames wait, lent, in the socket.
      const { read } = await sendUnread(client, server, 64, 256 * KB);
      expect(client.writableLength).toBeGreaterThan(0);
      expect(placements.reused()).toBe(true);
      const messages = read();
      await until(() => messages.length === 64, 'every frame');
      expect(fills(messages)).toEqual(oneTo(64));
      expect(messages.every(intact)).toBe(true);
    } finally {
      placements.stop();
      client.destroy();
      server.destroy();
    }
  });

  test('a socket whose peer does not read does not make another socket of the thread corrupt its frames', async () => {
    const [stuckClient, stuckServer] = await socketPair();
    const [client, server] = await socketPair();
    try {
      const stuck = await sendUnread(stuckClient, stuckServer, 32, 256 * KB);
      const { read } = await sendUnread(client, server, 200, 64 * KB);
      const messages = read();
      await until(() => messages.length === 200, "the other socket's frames");
      expect(fills(messages)).toEqual(oneTo(200).map((i) => ((i - 1) % 250) + 1));
      expect(messages.every(intact)).toBe(true);
      const late = stuck.read();
      await until(() => late.length === 32, "the stuck socket's frames, once read");
      expect(fills(late)).toEqual(oneTo(32));
      expect(late.every(intact)).toBe(true);
    } finally {
      for (const socket of [stuckClient, stuckServer, client, server]) socket.destroy();
    }
  });

  test('frames queued for a socket destroyed mid-write are given back to the arena', async () => {
    await arenaIdle();
    const [client, server] = await socketPair();
    // Some frames in the kernel, some in the socket's own buffer, some in the transport's queue.
    await sendUnread(client, server, 64, 256 * KB);
    expect(writeArena().used).toBeGreaterThan(0);
    client.destroy();
    server.destroy();
    await once(client, 'close');
    await arenaIdle();
    const frame = encodeFrameAfter(filled(1, 100), 4, writeArena().lend());
    expect(frame.byteOffset).toBe(writeArena().bytes.byteOffset);
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

  test("msgpackr's own packs, between frames still lent, neither land in the arena nor change those frames", async () => {
    const [client, server] = await socketPair();
    try {
      const sender = streamTransport(client);
      received(sender);
      const user = new Packr();
      const theirs: Array<{ packed: Uint8Array; copy: Buffer }> = [];
      for (let i = 1; i <= 40; i++) {
        sender.send(filled(i, 64 * KB));
        // Another user of msgpackr in the thread, and our own codec for the other transports.
        for (const packed of [user.pack({ i, s: 'u'.repeat(i * 100) }), encodeFrame({ i, pad: 'p'.repeat(3000) })]) {
          expect(packed.buffer).not.toBe(writeArena().bytes.buffer);
          theirs.push({ packed, copy: Buffer.from(packed) });
        }
      }
      const messages = received(streamTransport(server));
      await until(() => messages.length === 40, 'every frame');
      expect(fills(messages)).toEqual(oneTo(40));
      expect(messages.every(intact)).toBe(true);
      expect(theirs.every(({ packed, copy }) => Buffer.compare(packed, copy) === 0)).toBe(true);
    } finally {
      client.destroy();
      server.destroy();
    }
  });

  test('on Bun and Deno, whose sockets are not checked, frames get memory of their own', async () => {
    const [client, server] = await socketPair();
    const g = globalThis as { Deno?: unknown };
    try {
      // The arena is big enough for the frame, so only the runtime keeps it out.
      const node = await sendUnread(client, server, 2, 64 * KB);
      node.read();
      await arenaIdle();
      const [denoClient, denoServer] = await socketPair();
      g.Deno = {};
      try {
        const sender = streamTransport(denoClient);
        received(sender);
        sender.send(filled(1, 64 * KB));
        expect(writeArena().used).toBe(0);
      } finally {
        delete g.Deno;
        denoClient.destroy();
        denoServer.destroy();
      }
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

  // A logger, a test spy or a subclass that keeps what write() is given would see it change.
  test.each([
    ['whose write() is wrapped', (socket: net.Socket, keep: (chunk: Buffer) => void) => {
      const write = socket.write;
      socket.write = function (this: net.Socket, chunk: any, ...rest: any[]) {
        keep(chunk);
        return write.call(this, chunk, ...rest);
      } as typeof socket.write;
    }],
    ['whose _writev() is its own', (socket: net.Socket, keep: (chunk: Buffer) => void) => {
      const writev = socket._writev!;
      socket._writev = function (this: net.Socket, chunks, callback) {
        for (const { chunk } of chunks) keep(chunk);
        return writev.call(this, chunks, callback);
      };
      const write1 = socket._write;
      socket._write = function (this: net.Socket, chunk, encoding, callback) {
        keep(chunk);
        return write1.call(this, chunk, encoding, callback);
      };
    }],
  ])('a socket %s gets frames of their own', async (_name, instrument) => {
    await warmArena();
    const [client, server] = await socketPair();
    const kept: Array<{ chunk: Buffer; copy: Buffer }> = [];
    instrument(client, (chunk) => kept.push({ chunk, copy: Buffer.from(chunk) }));
    try {
      const sender = streamTransport(client);
      received(sender);
      const messages = received(streamTransport(server));
      // One at a time, each read before the next: an arena would lend the same memory every time.
      for (let i = 1; i <= 5; i++) {
        sender.send(filled(i, 64 * KB));
        await until(() => messages.length === i, `frame ${i}`);
      }
      expect(kept.length).toBeGreaterThanOrEqual(5);
      expect(kept.every(({ chunk, copy }) => chunk.equals(copy))).toBe(true);
    } finally {
      client.destroy();
      server.destroy();
    }
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

  test('an arena grown past KEEP_BYTES is only weakly held once idle, and the collector takes it', async () => {
    const arena = new WriteArena();
    // In a function of its own, so that no frame of this test holds the arena's memory.
    const grown = ((): WeakRef<ArrayBuffer> => {
      arena.taken(encodeFrameAfter(filled(1, 1024 * KB), 4, arena.lend())); // did not fit: grows
      const frame = encodeFrameAfter(filled(2, 1024 * KB), 4, arena.lend());
      const giveBack = arena.taken(frame)!;
      expect(frame.buffer).toBe(arena.bytes.buffer);
      expect(arena.keptBytes).toBeGreaterThan(KEEP_BYTES);
      giveBack();
      return new WeakRef(frame.buffer as ArrayBuffer);
    })();
    expect(arena.keptBytes).toBe(0);
    await gcUntil(() => grown.deref() === undefined);
    // Wanted again: an arena as large as before, made afresh.
    const third = encodeFrameAfter(filled(3, 1024 * KB), 4, arena.lend());
    expect(third.buffer).toBe(arena.bytes.buffer);
  });

  test('an idle arena not yet collected is used again as it is', () => {
    const arena = new WriteArena();
    arena.taken(encodeFrameAfter(filled(1, 1024 * KB), 4, arena.lend()));
    const second = encodeFrameAfter(filled(2, 1024 * KB), 4, arena.lend());
    arena.taken(second)!();
    const third = encodeFrameAfter(filled(3, 1024 * KB), 4, arena.lend());
    expect(third.buffer).toBe(second.buffer);
    expect(third.byteOffset).toBe(second.byteOffset);
  });

  test('an arena up to KEEP_BYTES is kept while idle', () => {
    const arena = new WriteArena();
    arena.taken(encodeFrameAfter(filled(1, 16 * KB), 4, arena.lend()));
    arena.taken(encodeFrameAfter(filled(2, 16 * KB), 4, arena.lend()))!();
    expect(arena.keptBytes).toBeGreaterThan(0);
    expect(arena.keptBytes).toBeLessThanOrEqual(KEEP_BYTES);
  });
});
