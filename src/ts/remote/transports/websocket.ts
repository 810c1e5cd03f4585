/**
 * One end of a session over a WebSocket: a page's `WebSocket`, or a `ws` WebSocket on Node.js
 * (either end). Each protocol message is one binary frame (codec/frames.ts: MessagePack, binary
 * data raw). The transport never imports `ws`: it takes any object shaped like the WHATWG
 * WebSocket (`WebSocketLike`).
 * - A frame larger than `maxFrameBytes` is refused when sent (ERR_REMOTE_TOO_LARGE, the transport
 *   stays open) and skipped when received (reported through `problem`). Servers should also set
 *   `ws`'s `maxPayload`, so that an oversized frame is refused before it is buffered.
 * - What the socket has not sent yet (`bufferedAmount`, plus what waits for the socket to open)
 *   is bounded by `maxBufferedBytes`: past it the transport closes with ERR_REMOTE_BACKLOG.
 * - A close with code 1000 (or 1001, a page going away) is orderly; any other close, or an
 *   `error` event, closes the transport with an Error saying why.
 */
import { ArrayBuffer, Error, Number, Set, TypeError, Uint8Array } from '../builtins';
import { decodeFrame, encodeFrame, frameHead } from '../codec/frames';
import { describeThrown, protocolError, RemoteError } from '../errors';
import type { Transport, WireMessage } from '../transport';
import { Backlog, BaseTransport, backlogError, tooLargeError } from './kit';

/** The part of a WHATWG `WebSocket` (or a `ws` WebSocket) the transport uses. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes passed to `send` that the socket has not written yet. */
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
  removeEventListener(type: string, listener: (event: any) => void): void;
}

export interface WebSocketTransportOptions {
  /** The largest frame sent or accepted, in bytes. Default 16 MiB. */
  maxFrameBytes?: number;
  /**
   * Bytes that may wait to be sent (the socket's `bufferedAmount` plus frames held until it
   * opens) before the transport gives up on the peer. Default the larger of 128 MiB and two frames.
   */
  maxBufferedBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const CONNECTING = 0;
const OPEN = 1;
/** Close codes that end a session in order: a normal close, and an endpoint going away. */
const ORDERLY_CLOSES = new Set([1000, 1001]);
/**
 * The code this side closes with when the transport failed (a backlog, a dead pipe). A page's
 * WebSocket accepts only 1000 and 3000-4999 from applications; 4000-4999 are for private use.
 */
const FAILURE_CLOSE = 4000;

class WebSocketTransport extends BaseTransport {
  readonly kind = 'websocket';
  /** Frames carry bytes: binary data inside a message travels raw. */
  readonly binary = true;
  /** Frames carry plain trees as they are (codec/frames.ts). */
  readonly trees = true;
  private readonly backlog: Backlog;
  /** Frames sent while the socket was still connecting. */
  private waiting: Uint8Array[] = [];

  constructor(
    private readonly socket: WebSocketLike,
    private readonly maxFrameBytes: number,
    private readonly maxBufferedBytes: number,
  ) {
    super();
    this.backlog = new Backlog(maxBufferedBytes, this.kind, 'maxBufferedBytes');
    socket.binaryType = 'arraybuffer';
    // A page's WebSocket cannot pause reading: messages that arrive before start() are held by
    // the kit (a bounded number).
    socket.addEventListener('message', this.onMessage);
    socket.addEventListener('close', this.onClose);
    socket.addEventListener('error', this.onError);
    if (socket.readyState === CONNECTING) socket.addEventListener('open', this.onOpen);
    else if (socket.readyState !== OPEN) this.finish(new RemoteError('ERR_REMOTE_CLOSED', 'The WebSocket is already closed'));
  }

  protected write(message: WireMessage): void {
    const frame = encodeFrame(message);
    if (frame.byteLength > this.maxFrameBytes) {
      throw tooLargeError(this.kind, frame.byteLength, this.maxFrameBytes, 'maxFrameBytes');
    }
    if (this.socket.readyState === CONNECTING) {
      const exceeded = this.backlog.exceeded(frame.byteLength);
      if (exceeded !== undefined) return this.finish(exceeded);
      this.backlog.add(frame.byteLength);
      this.waiting.push(frame);
      return;
    }
    if (this.socket.readyState !== OPEN) return this.finish(new Error('The WebSocket closed'));
    const queued = this.socket.bufferedAmount + frame.byteLength;
    if (queued > this.maxBufferedBytes) {
      return this.finish(backlogError(this.kind, queued, this.maxBufferedBytes, 'maxBufferedBytes'));
    }
    this.socket.send(frame);
  }

  protected override goodbye(): void {
    this.socket.close(1000, 'closed');
  }

  protected release(): void {
    this.socket.removeEventListener('message', this.onMessage);
    this.socket.removeEventListener('close', this.onClose);
    // The 'error' listener stays: the socket is closed below, and a peer can still make it fail
    // (a `ws` socket emits 'error' for a bad frame during the closing handshake) while nobody
    // else may listen; an 'error' event with no listener would end the process.
    this.socket.removeEventListener('open', this.onOpen);
    this.waiting = [];
    this.backlog.clear();
    // A transport that closes for its own reason (backlog, a dead peer) frees the socket too.
    if (this.socket.readyState === CONNECTING || this.socket.readyState === OPEN) {
      try {
        this.socket.close(this.closeError === undefined ? 1000 : FAILURE_CLOSE, 'closed');
      } catch {
        // Already going away.
      }
    }
  }

  private readonly onOpen = (): void => {
    const waiting = this.waiting;
    this.waiting = [];
    this.backlog.clear();
    for (const frame of waiting) {
      if (this.isClosed) return;
      this.socket.send(frame);
    }
  };

  private readonly onMessage = (event: { data: unknown }): void => {
    const data = event.data;
    if (!(data instanceof ArrayBuffer)) {
      const what = typeof data === 'string' ? 'a text frame' : 'a frame of an unexpected type';
      this.problem(protocolError(`websocket transport: ${what} was dropped (protocol messages are binary frames)`));
      return;
    }
    if (data.byteLength > this.maxFrameBytes) {
      this.problem(tooLargeError(this.kind, data.byteLength, this.maxFrameBytes, 'maxFrameBytes'));
      return;
    }
    const bytes = new Uint8Array(data);
    let message: WireMessage;
    try {
      message = decodeFrame(bytes);
    } catch (error) {
      this.problem(protocolError(`websocket transport: dropped a frame: ${describeThrown(error)}`), frameHead(bytes));
      return;
    }
    this.deliver(message);
  };

  private readonly onClose = (event: { code?: number; reason?: string }): void => {
    const code = event.code ?? 1005;
    if (ORDERLY_CLOSES.has(code)) return this.finish(undefined);
    const reason = event.reason ? `: ${event.reason}` : '';
    this.finish(new RemoteError('ERR_REMOTE_CLOSED', `The WebSocket closed with code ${code}${reason}`));
  };

  private readonly onError = (event: { error?: unknown; message?: unknown }): void => {
    const cause = event.error;
    // Node 24+ (undici) gives a TypeError with an empty message when the server drops the connection.
    const why =
      cause instanceof Error && cause.message !== ''
        ? cause.message
        : typeof event.message === 'string' && event.message !== ''
          ? event.message
          : 'its error event gave no reason';
    this.finish(new RemoteError('ERR_REMOTE_CLOSED', `The WebSocket failed: ${why}`, { cause }));
  };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function assertWebSocket(socket: unknown): asserts socket is WebSocketLike {
  const s = socket as Partial<WebSocketLike> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.send !== 'function' ||
    typeof s.close !== 'function' ||
    typeof s.addEventListener !== 'function' ||
    typeof s.removeEventListener !== 'function' ||
    typeof s.readyState !== 'number'
  ) {
    throw new TypeError('socket must be a WebSocket (a browser WebSocket or a ws WebSocket)');
  }
}

/**
 * One end of a session over `socket`, open or still connecting. Each side makes its own: the page
 * over `new WebSocket(url)`, the server over each socket its `ws` server accepts.
 */
export function webSocketTransport(socket: WebSocketLike, options: WebSocketTransportOptions = {}): Transport {
  assertWebSocket(socket);
  checkOptions(options);
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxBufferedBytes = options.maxBufferedBytes ?? Math.max(128 * 1024 * 1024, 2 * maxFrameBytes);
  return new WebSocketTransport(socket, maxFrameBytes, maxBufferedBytes);
}

/** The part of a `ws` WebSocketServer that `webSocketAccept` uses. */
export interface WebSocketServerLike {
  on(event: 'connection', listener: (socket: any, request: any) => void): unknown;
  removeListener(event: 'connection', listener: (socket: any, request: any) => void): unknown;
}

/**
 * Makes a transport for every connection `server` accepts and hands it to `onTransport` with the
 * HTTP request that opened it (check its Origin there: a page of any site can open a WebSocket to
 * a server it knows). Typically `(transport) => remoteServer.serve(transport)`: one session per
 * connection. Returns a function that stops accepting (open sessions go on).
 */
export function acceptWebSockets<R = unknown>(
  server: WebSocketServerLike,
  onTransport: (transport: Transport, request: R) => void,
  options: WebSocketTransportOptions = {},
): () => void {
  if (typeof server !== 'object' || server === null || typeof server.on !== 'function' || typeof server.removeListener !== 'function') {
    throw new TypeError('server must be a WebSocket server (a ws WebSocketServer)');
  }
  if (typeof onTransport !== 'function') throw new TypeError('onTransport must be a function');
  // Checked now rather than at the first connection.
  checkOptions(options);
  const listener = (socket: WebSocketLike, request: R): void => onTransport(webSocketTransport(socket, options), request);
  server.on('connection', listener);
  return () => void server.removeListener('connection', listener);
}

function checkOptions(options: WebSocketTransportOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (options.maxFrameBytes !== undefined && !isPositiveInteger(options.maxFrameBytes)) {
    throw new TypeError('options.maxFrameBytes must be a positive integer');
  }
  if (options.maxBufferedBytes !== undefined && !isPositiveInteger(options.maxBufferedBytes)) {
    throw new TypeError('options.maxBufferedBytes must be a positive integer');
  }
}
