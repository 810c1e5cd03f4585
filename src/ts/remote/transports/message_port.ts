/**
 * Async transport over a MessagePort, a Worker (from the parent thread) or `parentPort` (inside
 * the worker). The transport takes the port for itself: every message on it is a protocol message.
 */
import { parentPort as ownParentPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Transport, TransportHandlers, WireMessage } from '../transport';

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

class MessagePortTransport implements Transport {
  readonly kind: string;
  private handlers: TransportHandlers | undefined;
  private closed = false;

  constructor(private readonly port: PortLike) {
    this.kind = isWorker(port) ? 'worker' : 'message-port';
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error('Transport already started');
    this.handlers = handlers;
    this.port.on('message', this.onMessage);
    this.port.on('close', this.onClose);
    if (isWorker(this.port)) {
      this.port.on('exit', this.onExit);
      this.port.on('error', this.onError);
    }
  }

  send(message: WireMessage): void {
    if (this.closed) throw new Error(`The ${this.kind} transport is closed`);
    this.port.postMessage(message);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    // A Worker or the thread's parentPort also carries other traffic: we only stop listening.
    if (!isWorker(this.port) && this.port !== (ownParentPort as PortLike | null)) this.port.close?.();
  }

  private detach(): void {
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onClose);
    if (isWorker(this.port)) {
      this.port.off('exit', this.onExit);
      this.port.off('error', this.onError);
    }
  }

  private readonly onMessage = (message: unknown): void => {
    if (!this.closed) this.handlers?.message(message as WireMessage);
  };

  private end(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.handlers?.close(error);
  }

  private readonly onClose = (): void => this.end();
  private readonly onExit = (code: number): void => this.end(new Error(`the worker exited with code ${code}`));
  private readonly onError = (error: Error): void => this.end(error);
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
    typeof (port as PortLike).on !== 'function'
  ) {
    throw new TypeError('messagePort: port must be a MessagePort, a Worker or parentPort');
  }
  return new MessagePortTransport(port as PortLike);
}
