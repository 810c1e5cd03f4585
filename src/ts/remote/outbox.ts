/**
 * Everything a session sends goes through its outbox, in order. On a transport where each message
 * costs far more than its bytes (`Transport.batches`: a MessagePort's `postMessage` serializes,
 * queues and wakes the peer thread per message), the messages of one turn leave together: the
 * first message of a turn is sent at once (a lone call waits for nothing) and schedules a
 * microtask; the messages that follow it in the same turn are queued, and that microtask sends
 * them as one `batch` message (one that is alone goes as it is). Before the handshake, and on
 * every other transport, each message is sent at once.
 *
 * A send failure still concerns one message only. When a batch cannot be sent because one of
 * its messages cannot be carried (a value structured clone refuses, a transfer list naming a
 * detached buffer), the outbox sends the batch's messages one by one instead, and each failure
 * goes to the failure handler of its own message, as it would have without batching; only a
 * failure of the pipe itself reaches every handler (each closes the session).
 */
import { Array, Promise } from './builtins';
import { isMessageFailure } from './errors';
import { WIRE_LIMITS } from './limits';
import type { Transport, WireMessage } from './transport';

const settled = Promise.resolve();

/** Told why a message could not be sent; the message's sends are then its to give back. */
export type SendFailure = (error: unknown) => void;

export class Outbox {
  private messages: WireMessage[] = [];
  private transfers: Array<readonly object[] | undefined> = [];
  private failures: SendFailure[] = [];
  private scheduled = false;
  /**
   * Set while `flush` sends: a message sent meanwhile (a failure handler's resend, or its error
   * answer) leaves at once, in the place of the one that failed, not after the rest of the queue.
   */
  private flushing = false;
  private readonly batches: boolean;

  /**
   * `ready` says whether messages may be batched yet (after the handshake: a peer of another
   * version must be able to read the HELLO and its answer); `closed`, whether the session ended
   * (then queued messages are dropped: the session has already failed what they were for).
   */
  constructor(
    private readonly transport: Transport,
    private readonly ready: () => boolean,
    private readonly closed: () => boolean,
    private readonly report: (failure: unknown) => void,
  ) {
    this.batches = transport.batches === true;
  }

  /**
   * Sends `message` (moving what `transfer` lists where the transport can), now or with this
   * turn's batch. `failed` is called, at most once, if it cannot be sent: synchronously when the
   * message was sent at once, from the microtask otherwise. Never throws.
   */
  send(message: WireMessage, transfer: readonly object[] | undefined, failed: SendFailure): void {
    if (this.flushing) {
      this.sendOne(message, transfer, failed);
      return;
    }
    if (!this.batches || !this.ready()) {
      if (this.messages.length > 0) this.flush();
      this.sendOne(message, transfer, failed);
      return;
    }
    if (!this.scheduled) {
      // The turn's first message leaves at once, so a lone call waits for nothing; the ones
      // that follow it in this turn wait for the microtask and leave together.
      this.scheduled = true;
      // A reaction of a settled promise is a microtask without Node's queueMicrotask, which
      // makes an async resource per call (about a microsecond, once per turn of every call).
      settled.then(this.flushScheduled);
      this.sendOne(message, transfer, failed);
      return;
    }
    this.messages.push(message);
    this.transfers.push(transfer);
    this.failures.push(failed);
  }

  /**
   * Sends what is queued now: before a message that must not overtake it (a synchronous request
   * or answer, `bye`).
   */
  flush(): void {
    const messages = this.messages;
    if (messages.length === 0) return;
    const transfers = this.transfers;
    const failures = this.failures;
    this.messages = [];
    this.transfers = [];
    this.failures = [];
    this.flushing = true;
    try {
      for (let start = 0; start < messages.length; start += WIRE_LIMITS.batchSize) {
        if (this.closed()) return;
        const end = start + WIRE_LIMITS.batchSize < messages.length ? start + WIRE_LIMITS.batchSize : messages.length;
        if (end - start === 1) this.sendOne(messages[start], transfers[start], failures[start]);
        else this.sendBatch(messages, transfers, failures, start, end);
      }
    } finally {
      this.flushing = false;
    }
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private sendBatch(
    messages: WireMessage[],
    transfers: Array<readonly object[] | undefined>,
    failures: SendFailure[],
    start: number,
    end: number,
  ): void {
    let transfer: object[] | undefined;
    for (let i = start; i < end; i++) {
      const list = transfers[i];
      if (list !== undefined && list.length > 0) (transfer ??= []).push(...list);
    }
    const m = start === 0 && end === messages.length ? messages : messages.slice(start, end);
    try {
      this.transport.send({ op: 'batch', m }, transfer);
      return;
    } catch (error) {
      if (isMessageFailure(error)) {
        // One of them cannot be carried: each goes alone, and only that one fails.
        for (let i = start; i < end; i++) this.sendOne(messages[i], transfers[i], failures[i]);
        return;
      }
      for (let i = start; i < end; i++) this.fail(failures[i], error);
    }
  }

  private sendOne(message: WireMessage, transfer: readonly object[] | undefined, failed: SendFailure): void {
    try {
      this.transport.send(message, transfer);
    } catch (error) {
      this.fail(failed, error);
    }
  }

  private fail(failed: SendFailure, error: unknown): void {
    try {
      failed(error);
    } catch (bug) {
      this.report(bug);
    }
  }
}
