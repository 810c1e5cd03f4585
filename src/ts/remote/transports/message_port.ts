/**
 * Async transport over a MessagePort, a Worker (from the parent thread) or `parentPort` (inside
 * the worker). The transport takes the port for itself: every message on it is a protocol message.
 *
 * `postMessage` hands a message straight to the peer's queue, so there is no send-side backlog
 * to cap; a message that cannot be cloned fails alone (ERR_REMOTE_UNENCODABLE), and one that
 * cannot be deserialized on arrival ('messageerror') is reported as a lost message while the
 * port stays open.
 */
import { parentPort as ownParentPort, type MessagePort, type Worker } from 'node:worker_threads';
import { protocolError } from '../errors';
import type { Transport, WireMessage } from '../transport';
import { BaseTransport } from './kit';

/** The structural shape used: MessagePort, Worker and parentPort all fit. */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  close?(): void;
}

function isWorker(port: PortLike): boolean {
  return typeof (port as Partial<Worker>).terminate === 'function';
}

class MessagePortTransport extends BaseTransport {
  readonly kind: string;
  private readonly worker: boolean;

  constructor(private readonly port: PortLike) {
    super();
    this.worker = isWorker(port);
    this.kind = this.worker ? 'worker' : 'message-port';
  }

  protected override begin(): void {
    this.port.on('message', this.onMessage);
    this.port.on('messageerror', this.onMessageError);
    this.port.on('close', this.onClose);
    if (this.worker) {
      this.port.on('exit', this.onExit);
      this.port.on('error', this.onError);
    }
  }

  protected write(message: WireMessage): void {
    this.port.postMessage(message);
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
    if (!this.worker && this.port !== (ownParentPort as PortLike | null)) this.port.close?.();
  }

  private readonly onMessage = (message: unknown): void => {
    this.deliver(message as WireMessage);
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
 * Worker or parentPort it only stops listening.
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
