/**
 * The transport kit: what every transport shares.
 * - One close state machine (`BaseTransport`): open until the first of `close()`, the peer
 *   closing, the pipe dying or a fatal error; then closed for good, listeners detached, and the
 *   handlers told exactly once, whether that happened before or after `start()`.
 * - Messages that arrive before `start()` wait (a bounded number), then are delivered in order.
 * - One error taxonomy: `send` throws ERR_REMOTE_CLOSED once closed, ERR_REMOTE_TOO_LARGE or
 *   ERR_REMOTE_UNENCODABLE for one message the transport cannot carry (it stays open); too much
 *   waiting for a peer that does not read closes the transport with ERR_REMOTE_BACKLOG.
 * - `Backlog`: the byte count behind that cap.
 */
import { Array, Error } from '../builtins';
import { describeThrown, isMessageFailure, RemoteError } from '../errors';
import type { LostMessage, Transport, TransportHandlers, WireMessage } from '../transport';

type Reply = (answer: WireMessage) => void;

/** Whether `value` can be a protocol message: a non-null object that is not an array. */
export function isWireMessage(value: unknown): value is WireMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Messages held for a transport that was not started yet, at most. */
export const MAX_EARLY_MESSAGES = 10_000;

export function closedError(kind: string): RemoteError {
  return new RemoteError('ERR_REMOTE_CLOSED', `The ${kind} transport is closed`);
}

export function tooLargeError(kind: string, bytes: number, cap: number, option: string): RemoteError {
  return new RemoteError(
    'ERR_REMOTE_TOO_LARGE',
    `${kind} transport: a message of ${bytes} bytes exceeds the cap of ${cap} bytes (${option})`,
  );
}

export function backlogError(kind: string, bytes: number, cap: number, option: string): RemoteError {
  return new RemoteError(
    'ERR_REMOTE_BACKLOG',
    `${kind} transport: ${bytes} bytes are waiting for a peer that is not reading (more than ${option}, ${cap})`,
  );
}

/** A send failure of the underlying pipe that concerns only that message (a clone failure). */
export function unencodableError(kind: string, cause: unknown): RemoteError {
  return new RemoteError('ERR_REMOTE_UNENCODABLE', `${kind} transport could not send a message: ${describeThrown(cause)}`, { cause });
}

/**
 * Throws a TypeError when `transfer` names a detached ArrayBuffer. `postMessage` accepts one, and
 * the receiving side then gets a 'messageerror' for the whole message: the calls in it (a batch,
 * or a sync request the requester blocks on) would wait for answers that never come. Every
 * transport that posts a transfer list calls this first, so that message alone fails.
 */
export function assertTransferable(transfer: readonly object[] | undefined): void {
  if (transfer === undefined) return;
  for (const item of transfer) {
    if (isDetached(item)) throw new TypeError('An ArrayBuffer in the transfer list is detached (already transferred)');
  }
}

/** Whether `item` is a detached ArrayBuffer (only an empty one can be; no view can be made on it). */
function isDetached(item: object): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength !== 0) return false;
  try {
    new Uint8Array(item);
    return false;
  } catch {
    return true;
  }
}

/** Bytes queued for a peer, against a cap. */
export class Backlog {
  private queued = 0;

  constructor(
    private readonly cap: number,
    private readonly kind: string,
    private readonly option: string,
  ) {}

  get bytes(): number {
    return this.queued;
  }

  add(bytes: number): void {
    this.queued += bytes;
  }

  remove(bytes: number): void {
    this.queued = Math.max(0, this.queued - bytes);
  }

  clear(): void {
    this.queued = 0;
  }

  /** The error to close with when `queued + extra` bytes exceed the cap, else undefined. */
  exceeded(extra = 0): RemoteError | undefined {
    const total = this.queued + extra;
    return total > this.cap ? backlogError(this.kind, total, this.cap, this.option) : undefined;
  }
}

/**
 * A transport's shared life cycle. Subclasses implement `write` (send one message; throw a
 * RemoteError for one it cannot carry), `release` (detach listeners, free the pipe) and
 * optionally `begin` (start reading) and `goodbye` (tell the peer we are closing).
 */
export abstract class BaseTransport implements Transport {
  abstract readonly kind: string;
  private handlers: TransportHandlers | undefined;
  private early: Array<{ message: WireMessage; reply: Reply | undefined }> = [];
  private earlyProblems: Array<{ error: Error; lost: LostMessage | undefined }> = [];
  private closed = false;
  /** Why the transport closed (undefined while open, and for an orderly close). */
  protected closeError: Error | undefined;
  private closeReported = false;

  get isClosed(): boolean {
    return this.closed;
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error(`${this.kind} transport: start() was already called`);
    this.handlers = handlers;
    const early = this.early;
    const problems = this.earlyProblems;
    this.early = [];
    this.earlyProblems = [];
    for (const { error, lost } of problems) handlers.problem?.(error, lost);
    for (const { message, reply } of early) {
      if (this.closed) break;
      handlers.message(message, reply);
    }
    if (this.closed) this.reportClose();
    else this.begin();
  }

  send(message: WireMessage, transfer?: readonly object[]): void {
    if (this.closed) throw closedError(this.kind);
    try {
      this.write(message, transfer);
      // A write that found the pipe gone closed the transport instead of sending.
      if (this.closed) throw closedError(this.kind);
    } catch (error) {
      if (this.closed) throw closedError(this.kind);
      if (isMessageFailure(error)) throw error;
      // postMessage's DataCloneError, a stack overflow while serializing: this message only.
      throw unencodableError(this.kind, error);
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      this.goodbye();
    } catch {
      // The peer cannot be told; it learns it from the pipe.
    }
    this.finish(undefined);
  }

  /** Sends one message on the pipe, moving what `transfer` lists where the pipe can. */
  protected abstract write(message: WireMessage, transfer?: readonly object[]): void;

  /** Detaches from the pipe and frees it; called once, when the transport closes. */
  protected abstract release(): void;

  /** Starts reading, once handlers are in place. */
  protected begin(): void {}

  /** Tells the peer this side is closing (on `close()` only). */
  protected goodbye(): void {}

  /** Hands an incoming message to the handlers (held until `start()`, within a bound). */
  protected deliver(message: WireMessage, reply?: Reply): void {
    if (this.closed) return;
    if (this.handlers !== undefined) {
      this.handlers.message(message, reply);
      return;
    }
    if (this.early.length >= MAX_EARLY_MESSAGES) {
      this.finish(
        new RemoteError(
          'ERR_REMOTE_BACKLOG',
          `${this.kind} transport: more than ${MAX_EARLY_MESSAGES} messages arrived before it was started`,
        ),
      );
      return;
    }
    this.early.push({ message, reply });
  }

  /** An incoming message was lost but the pipe is still usable; `lost`: what it still said. */
  protected problem(error: Error, lost?: LostMessage): void {
    if (this.closed) return;
    if (this.handlers !== undefined) this.handlers.problem?.(error, lost);
    else if (this.earlyProblems.length < MAX_EARLY_MESSAGES) this.earlyProblems.push({ error, lost });
  }

  /** Closes once, for any reason; `error` says why (undefined for an orderly close). */
  protected finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.early = [];
    this.earlyProblems = [];
    this.release();
    if (this.handlers !== undefined) this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported || this.handlers === undefined) return;
    this.closeReported = true;
    this.handlers.close(this.closeError);
  }
}
