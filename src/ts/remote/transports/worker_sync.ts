/**
 * Synchronous requests between worker threads.
 *
 * One thread (the requester) blocks in `Atomics.wait` while the other (the answerer) handles the
 * request from its event loop and writes the answer into a SharedArrayBuffer. All messages in both
 * directions, sync requests included, travel over one MessagePort, so their order is kept.
 * Answers that do not fit in the buffer go over a second, never-listened-to port and are taken
 * with `receiveMessageOnPort`, so there is no size limit. The requester never waits forever:
 * it waits in short slices and checks the closed flag, which the answerer raises when it closes,
 * at its thread's exit, and at its environment's teardown (a `terminate()`d worker runs no
 * JavaScript, but the addon's teardown hook still raises it), and gives up after the timeout.
 */
import { Error, Int32Array, Number, Set, TypeError } from '../builtins';
import { deserialize, serialize } from 'node:v8';
import { MessageChannel, receiveMessageOnPort, threadId, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { types } from 'node:util';
import { binding } from '../../binding';
import { protocolError, RemoteError } from '../errors';
import { MAX_TIMEOUT_MS } from '../limits';
import type { Transport, WireMessage } from '../transport';
import { assertTransferable, BaseTransport, closedError, isWireMessage, unencodableError } from './kit';

// Header slots (Int32) at the start of the shared buffer.
const STATE = 0; // IDLE, or where the answer is
const LENGTH = 1; // bytes of an inline answer
const CLOSED = 2; // set by either side when it goes away
const ANSWERER = 3; // threadId + 1 of the thread that answers (0: unknown)
const HEADER_BYTES = 16;

const IDLE = 0;
const INLINE = 1;
const ON_PORT = 2;
/** The answering side could not read the request (not an envelope of a message): no answer. */
const REFUSED = 3;

const DEFAULT_BUFFER = 64 * 1024;
/** How often a waiting requester looks at the closed flag. */
const SLICE_MS = 20;

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
  for (const header of answering) raise(header);
}

function raise(header: Int32Array): void {
  Atomics.store(header, CLOSED, 1);
  Atomics.notify(header, STATE);
}

type Envelope = { readonly sync?: boolean; readonly m: WireMessage };

function isEnvelope(value: unknown): value is Envelope {
  return typeof value === 'object' && value !== null && isWireMessage((value as { m?: unknown }).m);
}

/** Whether a requester is blocked on `value` (so it must be woken, even when it is junk). */
function isSyncRequest(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { sync?: unknown }).sync === true;
}

function lostMessage(kind: string, error: unknown): Error {
  const why = error instanceof Error ? error.message : String(error);
  return protocolError(`${kind} transport: a message could not be deserialized and was lost (${why})`);
}

class AnsweringTransport extends BaseTransport {
  readonly kind = 'worker-sync';
  readonly binary = true;
  readonly clone = true;
  private readonly header: Int32Array;
  private readonly data: Buffer;
  /** The native teardown watch on our header (it writes CLOSED there if this thread dies). */
  private watch: number | undefined;

  constructor(
    private readonly port: MessagePort,
    private readonly answers: MessagePort,
    buffer: SharedArrayBuffer,
  ) {
    super();
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = Buffer.from(buffer, HEADER_BYTES);
  }

  protected override begin(): void {
    this.port.on('message', this.onMessage);
    this.port.on('messageerror', this.onMessageError);
    this.port.on('close', this.onClose);
    answering.add(this.header);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', onThreadExit);
    }
    // `answering` keeps the header (and its shared memory) referenced until release() unwatches.
    this.watch = binding.watchTeardown(this.header, CLOSED);
  }

  unref(): void {
    this.port.unref();
  }

  ref(): void {
    this.port.ref();
  }

  protected write(message: WireMessage, transfer?: readonly object[]): void {
    assertTransferable(transfer);
    this.port.postMessage({ m: message }, transfer as TransferListItem[] | undefined);
  }

  protected release(): void {
    this.port.off('message', this.onMessage);
    this.port.off('messageerror', this.onMessageError);
    this.port.off('close', this.onClose);
    answering.delete(this.header);
    if (this.watch !== undefined) binding.unwatchTeardown(this.watch);
    this.watch = undefined;
    raise(this.header);
    this.port.close();
    this.answers.close();
  }

  private readonly onMessage = (envelope: unknown): void => {
    if (!isEnvelope(envelope)) {
      this.problem(protocolError(`${this.kind} transport: dropped a message that is not an envelope of an object`));
      if (isSyncRequest(envelope)) this.refuse();
      return;
    }
    if (envelope.sync !== true) {
      this.deliver(envelope.m);
      return;
    }
    let answered = false;
    this.deliver(envelope.m, (answer) => {
      if (answered) return;
      // Throws ERR_REMOTE_UNENCODABLE when the answer cannot be serialized: nothing was written,
      // and the session answers again (tagged, or with an error saying why).
      this.answer(answer);
      answered = true;
    });
  };

  /** Wakes a requester blocked on a request that could not be read. */
  private refuse(): void {
    if (this.isClosed) return;
    Atomics.store(this.header, STATE, REFUSED);
    Atomics.notify(this.header, STATE);
  }

  private answer(answer: WireMessage): void {
    if (this.isClosed) return;
    // Structured clone, like the port: the answer arrives as a port message would.
    let bytes: Buffer;
    try {
      bytes = serialize(answer);
    } catch (error) {
      throw unencodableError(this.kind, error);
    }
    const length = bytes.length;
    if (length <= this.data.length) {
      this.data.set(bytes, 0);
      Atomics.store(this.header, LENGTH, length);
      Atomics.store(this.header, STATE, INLINE);
    } else {
      this.answers.postMessage(answer);
      Atomics.store(this.header, STATE, ON_PORT);
    }
    Atomics.notify(this.header, STATE);
  }

  private readonly onMessageError = (error: unknown): void => this.problem(lostMessage(this.kind, error));
  private readonly onClose = (): void => this.finish(undefined);
}

class RequestingTransport extends BaseTransport {
  readonly kind = 'worker-sync';
  readonly binary = true;
  readonly clone = true;
  private readonly header: Int32Array;
  private readonly data: Buffer;

  constructor(
    private readonly end: WorkerSyncEnd,
    private readonly timeoutMs: number | undefined,
  ) {
    super();
    this.header = new Int32Array(end.buffer, 0, HEADER_BYTES / 4);
    this.data = Buffer.from(end.buffer, HEADER_BYTES);
  }

  protected override begin(): void {
    this.end.port.on('message', this.onMessage);
    this.end.port.on('messageerror', this.onMessageError);
    this.end.port.on('close', this.onClose);
  }

  unref(): void {
    this.end.port.unref();
    this.end.answers.unref();
  }

  ref(): void {
    this.end.port.ref();
    this.end.answers.ref();
  }

  protected write(message: WireMessage, transfer?: readonly object[]): void {
    this.assertPeer();
    assertTransferable(transfer);
    this.end.port.postMessage({ m: message }, transfer as TransferListItem[] | undefined);
  }

  /**
   * Posts `message` and blocks until the answer is in the buffer, the peer is gone
   * (ERR_REMOTE_CLOSED) or the timeout passed (ERR_REMOTE_TIMEOUT): the smaller of `timeoutMs`
   * (the session's) and the transport's own, where 0 or undefined means none.
   */
  requestSync(message: WireMessage, sessionTimeoutMs?: number, transfer?: readonly object[]): WireMessage {
    if (this.isClosed) throw closedError(this.kind);
    if (Atomics.load(this.header, ANSWERER) === threadId + 1) {
      // Waiting here would block the very event loop that has to answer.
      throw new RemoteError(
        'ERR_REMOTE_CLOSED',
        'A sync client cannot be answered by a server in its own thread: the server answers from ' +
          'its event loop, which the client blocks while it waits. Run the client in a worker ' +
          'thread (send it the channel `end`), or connect with { sync: false }.',
      );
    }
    const limits = [sessionTimeoutMs, this.timeoutMs].filter((t): t is number => t !== undefined && t > 0);
    const timeoutMs = limits.length > 0 ? Math.min(...limits) : 0;
    this.assertPeer();
    Atomics.store(this.header, STATE, IDLE);
    try {
      assertTransferable(transfer);
      this.end.port.postMessage({ sync: true, m: message }, transfer as TransferListItem[] | undefined);
    } catch (error) {
      // Nothing was posted: this request fails alone and the channel stays in step.
      throw unencodableError(this.kind, error);
    }
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      Atomics.wait(this.header, STATE, IDLE, SLICE_MS);
      const state = Atomics.load(this.header, STATE);
      if (state === INLINE) {
        const length = Atomics.load(this.header, LENGTH);
        // Copied out first: decoding must not read memory the peer can still change.
        const bytes = Buffer.from(this.data.subarray(0, Math.max(0, Math.min(length, this.data.length))));
        Atomics.store(this.header, STATE, IDLE);
        let answer: unknown;
        try {
          answer = deserialize(bytes);
        } catch (error) {
          throw this.fail(`the answer is malformed: ${(error as Error).message}`, 'ERR_REMOTE_PROTOCOL');
        }
        if (!isWireMessage(answer)) throw this.fail('the answer is not a message', 'ERR_REMOTE_PROTOCOL');
        return answer;
      }
      if (state === ON_PORT) {
        const received = receiveMessageOnPort(this.end.answers);
        Atomics.store(this.header, STATE, IDLE);
        if (received === undefined) throw this.fail('the answer was lost');
        return received.message as WireMessage;
      }
      if (state === REFUSED) {
        Atomics.store(this.header, STATE, IDLE);
        throw this.fail('the peer could not read the request');
      }
      if (state !== IDLE) {
        // Only the answering side writes the state; anything else is junk, which the wait above
        // would return on at once, in a busy loop until the deadline.
        throw this.fail(`the peer wrote state ${state}, which means nothing`, 'ERR_REMOTE_PROTOCOL');
      }
      if (Atomics.load(this.header, CLOSED) === 1) throw this.fail('the peer closed the channel or its thread ended');
      if (Date.now() >= deadline) {
        throw this.fail(`no answer within ${timeoutMs} ms`, 'ERR_REMOTE_TIMEOUT');
      }
    }
  }

  protected release(): void {
    Atomics.store(this.header, CLOSED, 1);
    this.end.port.off('message', this.onMessage);
    this.end.port.off('messageerror', this.onMessageError);
    this.end.port.off('close', this.onClose);
    this.end.port.close();
    this.end.answers.close();
  }

  /** Closes the transport if the answering side raised the closed flag. */
  private assertPeer(): void {
    if (Atomics.load(this.header, CLOSED) === 1) {
      this.finish(new RemoteError('ERR_REMOTE_CLOSED', 'the peer closed the channel or its thread ended'));
      throw closedError(this.kind);
    }
  }

  private fail(
    why: string,
    code: 'ERR_REMOTE_CLOSED' | 'ERR_REMOTE_TIMEOUT' | 'ERR_REMOTE_PROTOCOL' = 'ERR_REMOTE_CLOSED',
  ): RemoteError {
    // After a lost or late answer the channel cannot be trusted: close it.
    const error = new RemoteError(code, `Synchronous request failed: ${why}`);
    this.finish(error);
    return error;
  }

  private readonly onMessage = (envelope: unknown): void => {
    if (isEnvelope(envelope) && envelope.sync !== true) this.deliver(envelope.m);
    else this.problem(protocolError(`${this.kind} transport: dropped a message that is not an envelope of an object`));
  };

  private readonly onMessageError = (error: unknown): void => this.problem(lostMessage(this.kind, error));
  private readonly onClose = (): void => this.finish(undefined);
}

/**
 * Creates a sync channel. This thread answers (serve or connect over `transport`); send `end` to
 * the other thread, which makes its transport with `workerSyncClient(end)` and may block on it.
 */
export function workerSyncChannel(options: { bufferSize?: number } = {}): WorkerSyncChannel {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('workerSyncChannel: options must be an object');
  }
  const size = options.bufferSize ?? DEFAULT_BUFFER;
  if (!Number.isSafeInteger(size) || size < 64) {
    throw new TypeError('workerSyncChannel: options.bufferSize must be an integer of at least 64');
  }
  const buffer = new SharedArrayBuffer(HEADER_BYTES + size);
  // This thread answers: a requester in the same thread would wait for itself.
  Atomics.store(new Int32Array(buffer, 0, HEADER_BYTES / 4), ANSWERER, threadId + 1);
  const data = new MessageChannel();
  const answers = new MessageChannel();
  return {
    transport: new AnsweringTransport(data.port1, answers.port1, buffer),
    end: { port: data.port2, answers: answers.port2, buffer },
    transferList: [data.port2, answers.port2],
  };
}

/**
 * The requesting side of a sync channel: a transport with `requestSync`, for
 * `connect(t, { sync: true })`. A request waits at most the session's `callTimeoutMs`, and at
 * most `options.timeoutMs` when given.
 */
export function workerSyncClient(end: WorkerSyncEnd, options: { timeoutMs?: number } = {}): Transport {
  if (
    typeof end !== 'object' ||
    end === null ||
    !types.isSharedArrayBuffer(end.buffer) ||
    end.buffer.byteLength < HEADER_BYTES ||
    typeof end.port?.postMessage !== 'function' ||
    typeof end.answers?.postMessage !== 'function'
  ) {
    throw new TypeError('workerSyncClient: end must be the `end` of a workerSyncChannel()');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('workerSyncClient: options must be an object');
  }
  const timeout = options.timeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > MAX_TIMEOUT_MS)) {
    throw new TypeError('workerSyncClient: options.timeoutMs must be a positive number');
  }
  return new RequestingTransport(end, timeout);
}
