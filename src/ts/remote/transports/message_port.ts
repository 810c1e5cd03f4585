/**
 * Async transport over a MessagePort, a Worker (from the parent thread) or `parentPort` (inside
 * the worker). The transport takes the port for itself: every message on it is a protocol message.
 *
 * `postMessage` hands a message straight to the peer's queue, so there is no send-side backlog
 * to cap; a message that cannot be cloned fails alone (ERR_REMOTE_UNENCODABLE), and one that
 * cannot be deserialized on arrival ('messageerror') or is not an object is reported as a lost
 * message while the port stays open.
 *
 * Closing a MessagePort closes it, and the peer's port reports 'close'. A Worker and parentPort
 * are not closed (the thread goes on), so their `close()` posts `CLOSING` instead, which no
 * protocol message can be mistaken for (those are objects), and the peer closes on it.
 */
import { ArrayBuffer, Error, TypeError, Uint8Array } from '../builtins';
import { parentPort as ownParentPort, type MessagePort, type Worker } from 'node:worker_threads';
import { protocolError } from '../errors';
import { describeValue } from '../protocol';
import type { Transport, WireMessage } from '../transport';
import { assertTransferable, BaseTransport, isWireMessage } from './kit';

/** The structural shape used: MessagePort, Worker and parentPort all fit. */
export interface PortLike {
  postMessage(message: unknown, transfer?: readonly any[]): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  close?(): void;
}

/** What a Worker or parentPort transport posts when it closes (see above). */
const CLOSING = 'weakwire:transport-closing';

function isWorker(port: PortLike): boolean {
  return typeof (port as Partial<Worker>).terminate === 'function';
}

class MessagePortTransport extends BaseTransport {
  readonly kind: string;
  readonly binary = true;
  readonly clone = true;
  readonly batches = true;
  private readonly worker: boolean;
  /** A Worker or this thread's parentPort: shared with the thread's other traffic, never closed. */
  private readonly shared: boolean;

  constructor(private readonly port: PortLike) {
    super();
    this.worker = isWorker(port);
    this.shared = this.worker || port === (ownParentPort as PortLike | null);
    this.kind = this.worker ? 'worker' : 'message-port';
    // A Worker emits its messages whether or not anyone listens: listen at once, so the ones that
    // come before start() wait in the kit instead of being lost. A port holds them until read.
    if (this.worker) this.listen();
  }

  protected override begin(): void {
    if (!this.worker) this.listen();
  }

  private listen(): void {
    this.port.on('message', this.onMessage);
    this.port.on('messageerror', this.onMessageError);
    this.port.on('close', this.onClose);
    if (this.worker) {
      this.port.on('exit', this.onExit);
      this.port.on('error', this.onError);
    }
  }

  unref(): void {
    (this.port as { unref?(): void }).unref?.();
  }

  ref(): void {
    (this.port as { ref?(): void }).ref?.();
  }

  protected write(message: WireMessage, transfer?: readonly object[]): void {
    if (transfer === undefined || transfer.length === 0) this.port.postMessage(message);
    else {
      assertTransferable(transfer);
      this.port.postMessage(message, transfer);
    }
  }

  protected override goodbye(): void {
    if (this.shared) this.port.postMessage(CLOSING);
  }

  protected release(): void {
    this.port.off('message', this.onMessage);
    this.port.off('messageerror', this.onMessageError);
    this.port.off('close', this.onClose);
    if (this.worker) {
      this.port.off('exit', this.onExit);
      this.port.off('error', this.onError);
    }
    // A Worker or the thread's parentPort also carries other traffic: we only stop listening.
    if (!this.shared) this.port.close?.();
  }

  private readonly onMessage = (message: unknown): void => {
    if (isWireMessage(message)) this.deliver(message);
    else if (message === CLOSING && this.shared) this.finish(undefined);
    else this.problem(protocolError(`${this.kind} transport: dropped a message that is not an object (${describeValue(message)})`));
  };

  private readonly onMessageError = (error: unknown): void => {
    const why = error instanceof Error ? error.message : String(error);
    this.problem(protocolError(`${this.kind} transport: a message could not be deserialized and was lost (${why})`));
  };

  private readonly onClose = (): void => this.finish(undefined);
  private readonly onExit = (code: number): void => this.finish(new Error(`the worker exited with code ${code}`));
  private readonly onError = (error: Error): void => this.finish(error);
}

/**
 * A transport over `port`: a `MessagePort` (e.g. one end of a `MessageChannel`), a `Worker`
 * (parent side) or `parentPort` (worker side). Closing the transport closes a MessagePort; for a
 * Worker or parentPort it tells the peer's transport and stops listening.
 */
export function messagePort(port: MessagePort | Worker | PortLike): Transport {
  if (
    typeof port !== 'object' ||
    port === null ||
    typeof (port as PortLike).postMessage !== 'function' ||
    typeof (port as PortLike).on !== 'function' ||
    typeof (port as PortLike).off !== 'function'
  ) {
    throw new TypeError('messagePort: port must be a MessagePort, a Worker or parentPort');
  }
  return new MessagePortTransport(port as PortLike);
}
