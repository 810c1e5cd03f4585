/**
 * Transport over any duplex byte stream: `net.Socket`, `tls.TLSSocket`, a pipe, a stream pair.
 *
 * Wire format: each message is one frame, a 4-byte big-endian unsigned payload length followed by
 * the payload, the message as UTF-8 JSON. A frame's declared length is checked against the cap
 * before anything is buffered for it, so a hostile or corrupt peer cannot make us allocate the
 * size it claims; bytes are only ever held as they actually arrive.
 */
import type { Transport, TransportHandlers, WireMessage } from '../transport';

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
   * Largest accepted frame payload, in bytes, both ways: a longer incoming frame closes the
   * transport with an error, a longer outgoing message makes `send` throw a RangeError. Use the
   * same value on both ends. Default 16 MiB; at most 4 GiB - 1 (the length field's range).
   */
  maxFrameBytes?: number;
  /**
   * Bytes allowed to wait for a peer that is not reading (our queue plus the stream's own write
   * buffer). Beyond it the transport closes with an error instead of growing without bound.
   * Default: the larger of 128 MiB and twice `maxFrameBytes`.
   */
  maxBufferedBytes?: number;
  /** Name for error messages and stats. Default `"socket"` for sockets, `"stream"` otherwise. */
  kind?: string;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const HEADER_BYTES = 4;
const MAX_LENGTH_FIELD = 0xffffffff;

/** Encodes one message as a frame. Exported for tests and for peers written by hand. */
export function encodeFrame(message: WireMessage, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  const json = JSON.stringify(message);
  if (typeof json !== 'string' || json[0] !== '{') {
    throw new TypeError('message must be a JSON-compatible object');
  }
  const payloadBytes = Buffer.byteLength(json, 'utf8');
  if (payloadBytes > maxFrameBytes) {
    throw new RangeError(
      `message of ${payloadBytes} bytes exceeds the frame-size cap of ${maxFrameBytes} bytes`,
    );
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame.write(json, HEADER_BYTES, 'utf8');
  return frame;
}

/** A frame the peer sent that cannot be accepted; the transport closes with it. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Reassembles frames from arbitrary chunk boundaries: a frame split over many chunks, many frames
 * in one chunk, a header split in two.
 */
class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame being assembled, or -1 while waiting for its header. */
  private expected = -1;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Adds a chunk and returns the messages it completed, and the FrameError that stopped decoding
   * if a frame was bad (the messages before it are still good).
   */
  push(chunk: Buffer): { messages: WireMessage[]; error?: FrameError } {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const messages: WireMessage[] = [];
    try {
      this.decode(messages);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      return { messages, error };
    }
    return { messages };
  }

  private decode(messages: WireMessage[]): void {
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < HEADER_BYTES) break;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          throw new FrameError(
            `incoming frame of ${length} bytes exceeds the frame-size cap of ${this.maxFrameBytes} bytes`,
          );
        }
        if (length === 0) throw new FrameError('malformed frame: empty payload');
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      const payload = this.take(this.expected);
      this.expected = -1;
      messages.push(this.parse(payload));
    }
  }

  private parse(payload: Buffer): WireMessage {
    let text: string;
    try {
      text = this.utf8.decode(payload);
    } catch {
      throw new FrameError('malformed frame: payload is not valid UTF-8');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new FrameError('malformed frame: payload is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FrameError('malformed frame: payload is not a JSON object');
    }
    return value as WireMessage;
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      this.buffered -= n;
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}

class StreamTransport implements Transport {
  private handlers: TransportHandlers | undefined;
  private readonly decoder: FrameDecoder;
  private closed = false;
  private closeError: Error | undefined;
  private closeReported = false;
  /** Frames held back while the stream asks us to wait for 'drain'. */
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;

  constructor(
    private readonly stream: DuplexLike,
    readonly kind: string,
    private readonly maxFrameBytes: number,
    private readonly maxBufferedBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    // Listen for failure at once, so an error before start() is neither lost nor unhandled.
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    if (stream.destroyed) this.finish(new Error(`${kind} is already destroyed`), false);
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers) throw new Error(`${this.kind} transport: start() was already called`);
    this.handlers = handlers;
    if (this.closed) {
      this.reportClose();
      return;
    }
    // Reading starts here: until now the bytes wait in the stream, which pushes back on the peer.
    this.stream.on('data', this.onData);
    this.stream.on('end', this.onEnd);
  }

  send(message: WireMessage): void {
    if (this.closed) throw new Error(`${this.kind} transport is closed`);
    const frame = encodeFrame(message, this.maxFrameBytes);
    if (this.waitingForDrain) {
      this.queue.push(frame);
      this.queuedBytes += frame.length;
      this.checkBacklog();
      return;
    }
    this.write(frame);
  }

  close(): void {
    if (this.closed) return;
    // Whatever was sent before close() still goes out, then the stream ends.
    for (const frame of this.queue) this.stream.write(frame);
    this.queue = [];
    this.queuedBytes = 0;
    this.finish(undefined, false);
  }

  private write(frame: Buffer): void {
    if (!this.stream.write(frame)) {
      this.waitingForDrain = true;
      this.stream.once('drain', this.onDrain);
      this.checkBacklog();
    }
  }

  private readonly onDrain = (): void => {
    if (this.closed) return;
    this.waitingForDrain = false;
    this.stream.cork?.();
    while (this.queue.length > 0 && !this.waitingForDrain) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.length;
      this.write(frame);
    }
    this.stream.uncork?.();
  };

  private checkBacklog(): void {
    const backlog = this.queuedBytes + (this.stream.writableLength ?? 0);
    if (backlog > this.maxBufferedBytes) {
      this.finish(
        new Error(
          `${this.kind} transport: ${backlog} bytes are waiting for a peer that is not reading ` +
            `(more than maxBufferedBytes, ${this.maxBufferedBytes})`,
        ),
        true,
      );
    }
  }

  private readonly onData = (chunk: unknown): void => {
    if (this.closed) return;
    if (!Buffer.isBuffer(chunk)) {
      this.finish(
        new TypeError(`${this.kind} delivered text, not bytes: do not call setEncoding() on it`),
        true,
      );
      return;
    }
    const { messages, error: failure } = this.decoder.push(chunk);
    // Frames that were complete before a bad one are still delivered, in order.
    for (const message of messages) {
      if (this.closed) return;
      this.handlers!.message(message);
    }
    if (failure) this.finish(failure, true);
  };

  private readonly onEnd = (): void => {
    if (this.closed) return;
    const partial = this.decoder.bufferedBytes;
    this.finish(
      partial > 0
        ? new FrameError(`${this.kind} ended in the middle of a frame (${partial} bytes unread)`)
        : undefined,
      false,
    );
  };

  private readonly onError = (error: Error): void => {
    this.finish(error, true);
  };

  private readonly onClose = (): void => {
    this.finish(new Error(`${this.kind} closed before the peer ended it`), false);
  };

  /** Marks the transport closed once; `destroy` drops the stream instead of ending it politely. */
  private finish(error: Error | undefined, destroy: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.queue = [];
    this.queuedBytes = 0;
    this.stream.removeListener('data', this.onData);
    this.stream.removeListener('end', this.onEnd);
    this.stream.removeListener('drain', this.onDrain);
    this.stream.removeListener('close', this.onClose);
    // The 'error' listener stays: a late error on a stream nobody listens to would crash.
    if (!this.stream.destroyed) {
      if (destroy) {
        this.stream.destroy();
      } else {
        this.stream.end();
        // Drain and drop what the peer still sends, so its end reaches us and the stream closes.
        this.stream.resume?.();
      }
    }
    if (this.handlers) this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported || !this.handlers) return;
    this.closeReported = true;
    this.handlers.close(this.closeError);
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * A transport over a duplex byte stream such as a `net.Socket` or `tls.TLSSocket`, with
 * length-prefixed JSON frames. Partial and coalesced chunks are reassembled; an oversized or
 * malformed frame closes the transport with a `FrameError`; a write the stream cannot take yet
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
  const maxBufferedBytes =
    options.maxBufferedBytes ?? Math.max(128 * 1024 * 1024, 2 * maxFrameBytes);
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
