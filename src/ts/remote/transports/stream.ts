/**
 * Transport over any duplex byte stream: `net.Socket`, `tls.TLSSocket`, a pipe, a stream pair.
 *
 * Wire format: each message is one frame, a 4-byte big-endian unsigned payload length followed by
 * the payload, the message as MessagePack (codec/frames.ts: binary data as raw bytes, so the cap
 * counts the bytes really sent). The length prefix always tells where the next frame starts, so
 * one bad frame costs only itself:
 * - a frame longer than the cap is skipped as its bytes arrive, never buffered (a peer cannot make
 *   us allocate the size it claims), and reported as a lost message;
 * - a frame that is not one well-formed message is dropped and reported;
 * - sending a message longer than the cap throws ERR_REMOTE_TOO_LARGE and the transport stays open.
 * Only a stream that ends in the middle of a frame, errors, or lets too much wait for a peer that
 * does not read (ERR_REMOTE_BACKLOG) closes the transport.
 */
import { Socket } from 'node:net';
import { Error, Number, TypeError, Uint8Array } from '../builtins';
import { decodeFrame, encodeFrameAfter, frameHead, largeBinaryAt, type FrameArena, type FrameHole } from '../codec/frames';
import { protocolError, RemoteError } from '../errors';
import type { LostMessage, Transport, WireMessage } from '../transport';
import { Backlog, BaseTransport, tooLargeError } from './kit';
import { writeArena, type WriteArena } from './write_arena';

/** The part of a Node.js duplex stream this transport uses. */
export interface DuplexLike {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(): unknown;
  destroy(error?: Error): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  cork?(): void;
  uncork?(): void;
  resume?(): unknown;
  readonly destroyed?: boolean;
  readonly writableLength?: number;
}

export interface StreamTransportOptions {
  /**
   * Largest frame payload, in bytes, both ways: a longer incoming frame is skipped (reported as
   * lost), sending a longer message throws ERR_REMOTE_TOO_LARGE. Use the same value on both ends.
   * Default 16 MiB; at most 4 GiB - 1 (the length field's range).
   */
  maxFrameBytes?: number;
  /**
   * Bytes allowed to wait for a peer that is not reading (our queue plus the stream's own write
   * buffer). Beyond it the transport closes with ERR_REMOTE_BACKLOG instead of growing without
   * bound. Default: the larger of 128 MiB and twice `maxFrameBytes`.
   */
  maxBufferedBytes?: number;
  /** Name for error messages and stats. Default `"socket"` for sockets, `"stream"` otherwise. */
  kind?: string;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const HEADER_BYTES = 4;
const MAX_LENGTH_FIELD = 0xffffffff;
/**
 * Reads smaller than this are copied into a shared tail buffer of TAIL_BYTES instead of being
 * kept one by one: a peer that sends a frame a byte at a time (each byte one read) must not cost
 * an object per byte.
 */
const SMALL_READ = 4096;
const TAIL_BYTES = 16 * 1024;
/** How much of a payload `largeBinaryAt` is shown: a message's large value starts well before. */
const PREFIX_BYTES = 256;

/**
 * Encodes one message as a frame: its length, then its bytes. Exported for tests and for peers
 * written by hand.
 * @throws TypeError for a value that is not an object; RemoteError ERR_REMOTE_TOO_LARGE past
 * `maxFrameBytes`.
 */
export function encodeFrame(
  message: WireMessage,
  maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  kind = 'stream',
  arena?: FrameArena,
): Uint8Array {
  const frame = encodeFrameAfter(message, HEADER_BYTES, arena);
  const payloadBytes = frame.length - HEADER_BYTES;
  if (payloadBytes > maxFrameBytes) throw tooLargeError(kind, payloadBytes, maxFrameBytes, 'maxFrameBytes');
  new DataView(frame.buffer, frame.byteOffset, HEADER_BYTES).setUint32(0, payloadBytes);
  return frame;
}

/** Why a stream transport closed when its byte stream broke off (it ended inside a frame). */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** A frame that was lost: why, and what it still said about itself when that could be read. */
class LostFrame {
  constructor(
    readonly error: Error,
    readonly head?: LostMessage,
  ) {}
}

/** What one chunk produced, in order: complete messages, and frames that were lost. */
type Decoded = Array<WireMessage | LostFrame>;

/**
 * Reassembles frames from arbitrary chunk boundaries: a frame split over many chunks, many frames
 * in one chunk, a header split in two.
 */
class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Where small reads are gathered: the last of `chunks` is its filled part, while it is set. */
  private tail: Buffer | undefined;
  private tailUsed = 0;
  /** Payload length of the frame being assembled, or -1 while waiting for its header. */
  private expected = -1;
  /** Bytes of an oversized frame still to throw away. */
  private skipping = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly kind: string,
  ) {}

  /** Whether the bytes so far stop inside a frame. */
  get inFrame(): boolean {
    return this.buffered > 0 || this.expected >= 0 || this.skipping > 0;
  }

  /** Bytes held for the frame not complete yet. */
  get partialBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Decoded {
    const decoded: Decoded = [];
    if (this.skipping > 0) {
      const skipped = Math.min(this.skipping, chunk.length);
      this.skipping -= skipped;
      chunk = chunk.subarray(skipped);
    }
    if (chunk.length > 0) this.append(chunk);
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < HEADER_BYTES) break;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          decoded.push(
            new LostFrame(
              protocolError(
                `${this.kind} transport: skipped an incoming frame of ${length} bytes, more than maxFrameBytes (${this.maxFrameBytes})`,
              ),
            ),
          );
          this.skip(length);
          continue;
        }
        if (length === 0) {
          decoded.push(new LostFrame(protocolError(`${this.kind} transport: dropped an empty frame`)));
          continue;
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      const payload = this.take(this.expected, true);
      this.expected = -1;
      decoded.push(this.parse(payload, this.joined, this.hole));
      this.hole = undefined;
    }
    return decoded;
  }

  private append(chunk: Buffer): void {
    this.buffered += chunk.length;
    if (chunk.length >= SMALL_READ) {
      this.tail = undefined;
      this.chunks.push(chunk);
      return;
    }
    if (this.tail === undefined || this.tailUsed + chunk.length > this.tail.length) {
      this.tail = Buffer.allocUnsafe(TAIL_BYTES);
      this.tailUsed = 0;
      this.chunks.push(this.tail.subarray(0, 0));
    }
    chunk.copy(this.tail, this.tailUsed);
    this.tailUsed += chunk.length;
    this.chunks[this.chunks.length - 1] = this.tail.subarray(0, this.tailUsed);
  }

  /** Throws away `length` payload bytes: what is buffered now, the rest as it arrives. */
  private skip(length: number): void {
    const now = Math.min(length, this.buffered);
    if (now > 0) this.take(now);
    this.skipping = length - now;
  }

  /** The message, or why the payload is not one. `owned`, `hole`: see decodeFrame. */
  private parse(payload: Buffer, owned: boolean, hole: FrameHole | undefined): WireMessage | LostFrame {
    try {
      return decodeFrame(payload, owned, hole);
    } catch (error) {
      const why = error instanceof RemoteError ? error.message : String(error);
      return new LostFrame(protocolError(`${this.kind} transport: dropped a frame: ${why}`), frameHead(payload, hole));
    }
  }

  /**
   * Whether the bytes `take` returned last were joined into a buffer of their own (which nothing
   * else holds), rather than a view of a chunk the stream gave us: a stream may reuse the memory
   * of its chunks, so only a joined payload's binary values may stay views of it.
   */
  private joined = false;
  /** The large binary value `take` cut out of the joined payload it returned last, if any. */
  private hole: FrameHole | undefined;

  /**
   * Removes and returns the first `n` buffered bytes (n <= buffered). `payload`: they are a frame's
   * payload, whose large binary value may be cut out (`hole`).
   */
  private take(n: number, payload = false): Buffer {
    // What is left of the tail is no longer the end of the last chunk: small reads start a new one.
    this.tail = undefined;
    const first = this.chunks[0];
    this.joined = first.length < n;
    this.hole = undefined;
    if (first.length >= n) {
      this.buffered -= n;
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // A large binary value goes to memory of its own, the rest to the frame: the value is then
    // neither copied again nor a view (an ArrayBuffer must be whole; a view keeps the frame).
    const big = payload ? largeBinaryAt(this.prefix(first), n) : undefined;
    this.used = 0;
    let out: Buffer;
    if (big === undefined) {
      out = Buffer.allocUnsafe(n);
      this.fill(out, 0, n);
    } else {
      out = Buffer.allocUnsafe(n - big.length);
      // Not `allocUnsafe`: a pooled Buffer shares its ArrayBuffer. Every byte is written below.
      const value = new Uint8Array(Buffer.allocUnsafeSlow(big.length).buffer);
      this.fill(out, 0, big.at);
      this.fill(value, 0, big.length);
      this.fill(out, big.at, n - big.at - big.length);
      this.hole = { at: big.at, bytes: value };
    }
    // One splice for all the chunks used up: a shift per chunk is quadratic in their number.
    this.chunks.splice(0, this.used);
    this.buffered -= n;
    return out;
  }

  /** The first PREFIX_BYTES buffered bytes or fewer, for `largeBinaryAt`; `first` if it holds them. */
  private prefix(first: Buffer): Uint8Array {
    if (first.length >= PREFIX_BYTES || this.chunks.length === 1) return first;
    const out = new Uint8Array(Math.min(PREFIX_BYTES, this.buffered));
    for (let i = 0, filled = 0; filled < out.length; i++) {
      const chunk = this.chunks[i];
      const count = Math.min(chunk.length, out.length - filled);
      out.set(chunk.subarray(0, count), filled);
      filled += count;
    }
    return out;
  }

  /** Chunks `take` has used up, not yet removed. */
  private used = 0;

  /** Copies the next `count` buffered bytes into `target` at `offset`. */
  private fill(target: Uint8Array, offset: number, count: number): void {
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[this.used];
      const n = Math.min(chunk.length, count - filled);
      target.set(n === chunk.length ? chunk : chunk.subarray(0, n), offset + filled);
      filled += n;
      if (n === chunk.length) this.used++;
      else this.chunks[this.used] = chunk.subarray(n);
    }
  }
}

/**
 * Whether a socket's write callback means its bytes are no longer read from our memory. Checked
 * in Node.js; Bun and Deno implement node:net their own way, so there frames keep memory of
 * their own, as before the arena.
 */
function writeCallbackMeansCopied(): boolean {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  return g.Bun === undefined && g.Deno === undefined;
}

/**
 * Whether `stream` is a socket that writes the way Node's sockets do: its `write`, `_write` and
 * `_writev` are net.Socket's own (tls.TLSSocket inherits them). A subclass, a logger or a test
 * spy that replaces one of them may keep the chunks it is given, which the arena would later
 * overwrite; such a socket's frames get memory of their own.
 */
function writesAsNodeSocket(stream: DuplexLike): boolean {
  if (!(stream instanceof Socket)) return false;
  const socket = Socket.prototype;
  return stream.write === socket.write && stream._write === socket._write && stream._writev === socket._writev;
}

class StreamTransport extends BaseTransport {
  private readonly decoder: FrameDecoder;
  private readonly backlog: Backlog;
  /** Frames held back while the stream asks us to wait for 'drain', each with its write callback. */
  private queue: Uint8Array[] = [];
  private queueDone: Array<(() => void) | undefined> = [];
  /** Where frames are encoded, for a socket (see write_arena.ts); undefined for other streams. */
  private readonly arena: WriteArena | undefined;
  private waitingForDrain = false;
  readonly binary = true;
  readonly trees = true;

  constructor(
    private readonly stream: DuplexLike,
    readonly kind: string,
    private readonly maxFrameBytes: number,
    maxBufferedBytes: number,
  ) {
    super();
    this.decoder = new FrameDecoder(maxFrameBytes, kind);
    this.backlog = new Backlog(maxBufferedBytes, kind, 'maxBufferedBytes');
    this.arena = writesAsNodeSocket(stream) && writeCallbackMeansCopied() ? writeArena() : undefined;
    // Listen for failure at once, so an error before start() is neither lost nor unhandled.
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    if (stream.destroyed) this.finish(new Error(`${kind} is already destroyed`));
  }

  protected override begin(): void {
    // Reading starts here: until now the bytes wait in the stream, which pushes back on the peer.
    this.stream.on('data', this.onData);
    this.stream.on('end', this.onEnd);
  }

  unref(): void {
    (this.stream as { unref?(): void }).unref?.();
  }

  ref(): void {
    (this.stream as { ref?(): void }).ref?.();
  }

  protected write(message: WireMessage): void {
    const arena = this.arena;
    let frame: Uint8Array;
    let done: (() => void) | undefined;
    if (arena === undefined) {
      frame = encodeFrame(message, this.maxFrameBytes, this.kind);
    } else {
      frame = encodeFrameAfter(message, HEADER_BYTES, arena.lend());
      // Lent before the size check, so that a frame too large still goes back to the arena.
      done = arena.taken(frame);
      const payloadBytes = frame.length - HEADER_BYTES;
      if (payloadBytes > this.maxFrameBytes) {
        done?.();
        throw tooLargeError(this.kind, payloadBytes, this.maxFrameBytes, 'maxFrameBytes');
      }
      new DataView(frame.buffer, frame.byteOffset, HEADER_BYTES).setUint32(0, payloadBytes);
    }
    if (this.waitingForDrain) {
      this.queue.push(frame);
      this.queueDone.push(done);
      this.backlog.add(frame.length);
      this.checkBacklog();
      return;
    }
    this.writeFrame(frame, done);
  }

  protected override goodbye(): void {
    // Whatever was sent before close() still goes out, then the stream ends.
    for (let i = 0; i < this.queue.length; i++) this.stream.write(this.queue[i], this.queueDone[i]);
    this.queue = [];
    this.queueDone = [];
    this.backlog.clear();
  }

  /** Drops the frames still queued, giving back those in the arena. */
  private dropQueue(): void {
    const done = this.queueDone;
    this.queue = [];
    this.queueDone = [];
    for (const giveBack of done) giveBack?.();
  }

  /** Ends the stream politely after an orderly close, or drops it after a failure. */
  private destroyOnRelease = false;

  protected release(): void {
    this.dropQueue();
    this.backlog.clear();
    this.stream.removeListener('data', this.onData);
    this.stream.removeListener('end', this.onEnd);
    this.stream.removeListener('drain', this.onDrain);
    this.stream.removeListener('close', this.onClose);
    // The 'error' listener stays: a late error on a stream nobody listens to would crash.
    if (this.stream.destroyed) return;
    if (this.destroyOnRelease) {
      this.stream.destroy();
    } else {
      this.stream.end();
      // Drain and drop what the peer still sends, so its end reaches us and the stream closes.
      this.stream.resume?.();
    }
  }

  /** Closes for a failure, dropping the stream. */
  private fail(error: Error): void {
    this.destroyOnRelease = true;
    this.finish(error);
  }

  private writeFrame(frame: Uint8Array, done: (() => void) | undefined): void {
    if (!this.stream.write(frame, done)) {
      this.waitingForDrain = true;
      this.stream.once('drain', this.onDrain);
      this.checkBacklog();
    }
  }

  private readonly onDrain = (): void => {
    if (this.isClosed) return;
    this.waitingForDrain = false;
    this.stream.cork?.();
    while (this.queue.length > 0 && !this.waitingForDrain) {
      const frame = this.queue.shift()!;
      const done = this.queueDone.shift();
      this.backlog.remove(frame.length);
      this.writeFrame(frame, done);
    }
    this.stream.uncork?.();
  };

  private checkBacklog(): void {
    const over = this.backlog.exceeded(this.stream.writableLength ?? 0);
    if (over !== undefined) this.fail(over);
  }

  private readonly onData = (chunk: unknown): void => {
    if (this.isClosed) return;
    if (!Buffer.isBuffer(chunk)) {
      this.fail(new TypeError(`${this.kind} delivered text, not bytes: do not call setEncoding() on it`));
      return;
    }
    for (const item of this.decoder.push(chunk)) {
      if (this.isClosed) return;
      if (item instanceof LostFrame) this.problem(item.error, item.head);
      else this.deliver(item);
    }
  };

  private readonly onEnd = (): void => {
    this.finish(
      this.decoder.inFrame
        ? new FrameError(`${this.kind} ended in the middle of a frame (${this.decoder.partialBytes} bytes unread)`)
        : undefined,
    );
  };

  private readonly onError = (error: Error): void => this.fail(error);

  private readonly onClose = (): void => this.finish(new Error(`${this.kind} closed before the peer ended it`));
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * A transport over a duplex byte stream such as a `net.Socket` or `tls.TLSSocket`, with
 * length-prefixed MessagePack frames. Partial and coalesced chunks are reassembled; an oversized or
 * malformed frame is skipped and reported, never buffered; a write the stream cannot take yet
 * waits for 'drain'. The transport closes when the stream ends, closes or errors; `close()`
 * flushes what was sent and ends the stream.
 */
export function streamTransport(stream: DuplexLike, options: StreamTransportOptions = {}): Transport {
  if (
    typeof stream !== 'object' ||
    stream === null ||
    typeof stream.write !== 'function' ||
    typeof stream.end !== 'function' ||
    typeof stream.on !== 'function'
  ) {
    throw new TypeError('stream must be a duplex stream (such as a net.Socket)');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!isPositiveInteger(maxFrameBytes) || maxFrameBytes > MAX_LENGTH_FIELD) {
    throw new TypeError('options.maxFrameBytes must be an integer from 1 to 4294967295');
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? Math.max(128 * 1024 * 1024, 2 * maxFrameBytes);
  if (!isPositiveInteger(maxBufferedBytes)) {
    throw new TypeError('options.maxBufferedBytes must be a positive integer');
  }
  const looksLikeSocket = 'remoteAddress' in stream;
  const kind = options.kind ?? (looksLikeSocket ? 'socket' : 'stream');
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new TypeError('options.kind must be a non-empty string');
  }
  return new StreamTransport(stream, kind, maxFrameBytes, maxBufferedBytes);
}
