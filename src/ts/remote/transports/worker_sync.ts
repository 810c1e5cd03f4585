/**
 * Synchronous requests between worker threads.
 *
 * One thread (the requester) blocks in `Atomics.wait` while the other (the answerer) handles the
 * request from its event loop and writes the answer into a SharedArrayBuffer. All messages in both
 * directions, sync requests included, travel over one MessagePort, so their order is kept.
 * Answers that do not fit in the buffer go over a second, never-listened-to port and are taken
 * with `receiveMessageOnPort`, so there is no size limit. The requester never waits forever:
 * it waits in short slices, checks the closed flag the answerer sets on close and at thread exit,
 * and gives up after `timeoutMs`.
 */
import {
  MessageChannel,
  receiveMessageOnPort,
  type MessagePort,
} from 'node:worker_threads';
import { types } from 'node:util';
import { RemoteError } from '../errors';
import type { Transport, TransportHandlers, WireMessage } from '../transport';

// Header slots (Int32) at the start of the shared buffer.
const STATE = 0; // IDLE, or where the answer is
const LENGTH = 1; // bytes of an inline answer
const CLOSED = 2; // set by either side when it goes away
const HEADER_BYTES = 16;

const IDLE = 0;
const INLINE = 1;
const ON_PORT = 2;

const DEFAULT_BUFFER = 64 * 1024;
const DEFAULT_TIMEOUT = 30_000;
const SLICE_MS = 50;

/** What the requesting thread needs; pass it in `workerData` with `transferList`. */
export interface WorkerSyncEnd {
  readonly port: MessagePort;
  readonly answers: MessagePort;
  readonly buffer: SharedArrayBuffer;
}

export interface WorkerSyncChannel {
  /** The answering side's transport (this thread). */
  readonly transport: Transport;
  /** The requesting side's end, to send to the other thread. */
  readonly end: WorkerSyncEnd;
  /** Ports to list in `transferList` when sending `end`. */
  readonly transferList: MessagePort[];
}

// One process 'exit' hook per thread, however many channels it answers: the thread is going away,
// so wake every blocked requester instead of letting it time out.
const answering = new Set<Int32Array>();
let exitHooked = false;
function onThreadExit(): void {
  for (const header of answering) {
    Atomics.store(header, CLOSED, 1);
    Atomics.notify(header, STATE);
  }
}
function watchExit(header: Int32Array): void {
  answering.add(header);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', onThreadExit);
  }
}

type Envelope = { readonly sync?: boolean; readonly m: WireMessage };

function isEnvelope(value: unknown): value is Envelope {
  return typeof value === 'object' && value !== null && 'm' in value;
}

class AnsweringTransport implements Transport {
  readonly kind = 'worker-sync';
  private readonly header: Int32Array;
  private readonly data: Buffer;
  private handlers: TransportHandlers | undefined;
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    private readonly answers: MessagePort,
    buffer: SharedArrayBuffer,
  ) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = Buffer.from(buffer, HEADER_BYTES);
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error('Transport already started');
    this.handlers = handlers;
    this.port.on('message', this.onMessage);
    this.port.on('close', this.onClose);
    watchExit(this.header);
  }

  send(message: WireMessage): void {
    if (this.closed) throw new Error('The worker-sync transport is closed');
    this.port.postMessage({ m: message });
  }

  close(): void {
    if (this.closed) return;
    this.markClosed();
    this.port.close();
    this.answers.close();
  }

  private markClosed(): void {
    this.closed = true;
    this.port.off('message', this.onMessage);
    this.port.off('close', this.onClose);
    answering.delete(this.header);
    Atomics.store(this.header, CLOSED, 1);
    Atomics.notify(this.header, STATE);
  }

  private readonly onMessage = (envelope: unknown): void => {
    if (this.closed || !isEnvelope(envelope)) return;
    if (envelope.sync !== true) {
      this.handlers?.message(envelope.m);
      return;
    }
    let answered = false;
    this.handlers?.message(envelope.m, (answer) => {
      if (answered) return;
      answered = true;
      this.answer(answer);
    });
  };

  private answer(answer: WireMessage): void {
    if (this.closed) return;
    const json = JSON.stringify(answer);
    const length = Buffer.byteLength(json);
    if (length <= this.data.length) {
      this.data.write(json, 0, 'utf8');
      Atomics.store(this.header, LENGTH, length);
      Atomics.store(this.header, STATE, INLINE);
    } else {
      this.answers.postMessage(answer);
      Atomics.store(this.header, STATE, ON_PORT);
    }
    Atomics.notify(this.header, STATE);
  }

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.markClosed();
    this.handlers?.close();
  };

}

class RequestingTransport implements Transport {
  readonly kind = 'worker-sync';
  private readonly header: Int32Array;
  private readonly data: Buffer;
  private handlers: TransportHandlers | undefined;
  private closed = false;

  constructor(
    private readonly end: WorkerSyncEnd,
    private readonly timeoutMs: number,
  ) {
    this.header = new Int32Array(end.buffer, 0, HEADER_BYTES / 4);
    this.data = Buffer.from(end.buffer, HEADER_BYTES);
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error('Transport already started');
    this.handlers = handlers;
    this.end.port.on('message', this.onMessage);
    this.end.port.on('close', this.onClose);
  }

  send(message: WireMessage): void {
    this.assertOpen();
    this.end.port.postMessage({ m: message });
  }

  requestSync(message: WireMessage): WireMessage {
    this.assertOpen();
    Atomics.store(this.header, STATE, IDLE);
    this.end.port.postMessage({ sync: true, m: message });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      Atomics.wait(this.header, STATE, IDLE, SLICE_MS);
      const state = Atomics.load(this.header, STATE);
      if (state === INLINE) {
        const length = Atomics.load(this.header, LENGTH);
        const text = this.data.toString('utf8', 0, length);
        Atomics.store(this.header, STATE, IDLE);
        return JSON.parse(text) as WireMessage;
      }
      if (state === ON_PORT) {
        const received = receiveMessageOnPort(this.end.answers);
        Atomics.store(this.header, STATE, IDLE);
        if (received === undefined) throw this.fail('the answer was lost');
        return received.message as WireMessage;
      }
      if (Atomics.load(this.header, CLOSED) === 1) throw this.fail('the peer closed the channel');
      if (Date.now() >= deadline) {
        throw this.fail(`no answer within ${this.timeoutMs} ms`, 'ERR_REMOTE_TIMEOUT');
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.shut();
    this.end.port.close();
    this.end.answers.close();
  }

  private shut(): void {
    this.closed = true;
    Atomics.store(this.header, CLOSED, 1);
    this.end.port.off('message', this.onMessage);
    this.end.port.off('close', this.onClose);
  }

  private assertOpen(): void {
    if (this.closed || Atomics.load(this.header, CLOSED) === 1) {
      throw new RemoteError('ERR_REMOTE_CLOSED', 'The worker-sync transport is closed');
    }
  }

  private fail(why: string, code: 'ERR_REMOTE_CLOSED' | 'ERR_REMOTE_TIMEOUT' = 'ERR_REMOTE_CLOSED'): RemoteError {
    // After a lost or late answer the channel cannot be trusted: close it.
    this.close();
    return new RemoteError(code, `Synchronous request failed: ${why}`);
  }

  private readonly onMessage = (envelope: unknown): void => {
    if (!this.closed && isEnvelope(envelope) && envelope.sync !== true) this.handlers?.message(envelope.m);
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.shut();
    this.handlers?.close();
  };
}

/**
 * Creates a sync channel. This thread answers (serve or connect over `transport`); send `end` to
 * the other thread, which makes its transport with `workerSyncClient(end)` and may block on it.
 */
export function workerSyncChannel(options: { bufferSize?: number } = {}): WorkerSyncChannel {
  const size = options.bufferSize ?? DEFAULT_BUFFER;
  if (!Number.isSafeInteger(size) || size < 64) {
    throw new TypeError('workerSyncChannel: options.bufferSize must be an integer of at least 64');
  }
  const buffer = new SharedArrayBuffer(HEADER_BYTES + size);
  const data = new MessageChannel();
  const answers = new MessageChannel();
  return {
    transport: new AnsweringTransport(data.port1, answers.port1, buffer),
    end: { port: data.port2, answers: answers.port2, buffer },
    transferList: [data.port2, answers.port2],
  };
}

/** The requesting side of a sync channel: a transport with `requestSync`, for `connect(t, { sync: true })`. */
export function workerSyncClient(end: WorkerSyncEnd, options: { timeoutMs?: number } = {}): Transport {
  if (
    typeof end !== 'object' ||
    end === null ||
    !types.isSharedArrayBuffer(end.buffer) ||
    typeof end.port?.postMessage !== 'function' ||
    typeof end.answers?.postMessage !== 'function'
  ) {
    throw new TypeError('workerSyncClient: end must be the `end` of a workerSyncChannel()');
  }
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT;
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new TypeError('workerSyncClient: options.timeoutMs must be a positive number');
  }
  return new RequestingTransport(end, timeout);
}
