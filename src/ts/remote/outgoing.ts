/**
 * Our requests to the peer: encoding them (a failure gives back the sends it counted), sending
 * them async (the answer's promise never throws, it rejects) or sync (blocking on the transport's
 * `requestSync`), and reading a sync answer. Requests leave at once, in the order of the code.
 *
 * Pipelining: every async call, `new`, `require` and `getGlobal` asks the peer to `keep` its
 * answer, so that a use of the result before the answer arrives can name it (`on: seq`) and go
 * right behind it: the chain is one round trip. Once the result is known here, nothing names the
 * answer any more, and it is finished: the finish rides on our next request (`a`), or on the next
 * FREE batch when there is none, so a loop of awaited calls sends no extra message.
 */
import { Error, Promise, Set, queueMicrotask } from './builtins';
import { encodeValues, refusedWhole } from './codec/messages';
import type { Encoder } from './codec/encoder';
import { codeOf, isMessageFailure, protocolError } from './errors';
import type { Inbound } from './inbound';
import { Malformed, parseMessage } from './protocol';
import type { RemoteOp } from './remote_op';
import { pending, rejected, type RemotePromise } from './remote_promise';
import type { RequestLabel } from './requests';
import type { SessionContext } from './session_context';
import type { WireMessage } from './transport';

/** A request of the client API, to the peer itself rather than to one of its objects. */
export interface ApiRequest {
  readonly op: 'require' | 'global';
  readonly name: string;
}

/** What a request runs on: an object the peer exported, or an answer the peer keeps for us. */
export type RequestTarget = { readonly target: number; readonly on?: undefined } | { readonly on: number; readonly target?: undefined };

/** A sent request's answer, and its sequence number (to pipeline on it). */
export interface Sent {
  readonly seq: number;
  readonly promise: RemotePromise;
}

export class Outgoing {
  /** Requests whose answers the peer keeps for us, until we finish them. */
  private readonly kept = new Set<number>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly inbound: Inbound,
  ) {}

  /**
   * Sends an async request on `target` (none: a `require`/`global`) and returns its answer's
   * promise and sequence number. Never throws: a closed session, a full request table, an
   * encoding or a sending failure all reject.
   */
  request(target: RequestTarget | undefined, op: RemoteOp | ApiRequest, expectsStale: boolean, timeoutMs: number): Sent {
    const { ctx } = this;
    const id = target?.target;
    if (ctx.closed) return { seq: 0, promise: rejected(ctx.closedError(id), ctx.report) };
    const seq = ctx.requests.sequence();
    const encoder = ctx.encoder(true);
    let message: { keep?: true; a?: number[]; readonly [field: string]: unknown };
    try {
      ctx.requests.assertRoom();
      message = this.encode(seq, target, op, encoder);
    } catch (error) {
      return { seq: 0, promise: rejected(error, ctx.report) };
    }
    const keep = op.op === 'call' || op.op === 'new' || op.op === 'require' || op.op === 'global';
    if (keep) message.keep = true;
    const finished = ctx.imports.takeFinished();
    if (finished !== undefined) message.a = finished;
    const waiter = pending(ctx.report);
    const label: RequestLabel = { op: op.op, target: id ?? 0, key: labelKey(op) };
    ctx.requests.open(seq, waiter, label, expectsStale, timeoutMs);
    if (keep) this.kept.add(seq);
    let unsent = false;
    ctx.outbox.send(message, encoder.transfers, (error) => {
      if (!refusedWhole(encoder, error)) this.unsent(seq, encoder, finished, waiter, id, error);
      else if (this.resend(seq, target, op, keep, finished, waiter, encoder, error)) return;
      unsent = true;
    });
    // Failed at once (not batched): nothing may pipeline on it.
    return { seq: unsent ? 0 : seq, promise: waiter };
  }

  /**
   * Sends request `seq` once more, tagged, after structured clone refused its values whole (see
   * `refusedWhole`; `first` made the refused message, `refusal` is the error). False when that
   * failed at once: the request has failed then. If the values cannot even be encoded again (a
   * getter that answers differently each time it is read), the request fails with `refusal`.
   */
  private resend(
    seq: number,
    target: RequestTarget | undefined,
    op: RemoteOp | ApiRequest,
    keep: boolean,
    finished: number[] | undefined,
    waiter: RemotePromise,
    first: Encoder,
    refusal: unknown,
  ): boolean {
    const { ctx } = this;
    const id = target?.target;
    const encoder = ctx.encoder(true);
    encoder.clonesWhole = false;
    let message: { keep?: true; a?: number[]; readonly [field: string]: unknown };
    try {
      // Gives back what it exported if it throws.
      message = this.encode(seq, target, op, encoder);
    } catch {
      this.unsent(seq, first, finished, waiter, id, refusal);
      return false;
    }
    ctx.exports.unsend(first.sent); // none: a message cloned whole holds no reference
    if (keep) message.keep = true;
    if (finished !== undefined) message.a = finished;
    let sent = true;
    ctx.outbox.send(message, encoder.transfers, (error) => {
      sent = false;
      this.unsent(seq, encoder, finished, waiter, id, error);
    });
    return sent;
  }

  /**
   * Request `seq` could not be sent: it stops waiting, gives back its sends and the finishes it
   * carried, and fails (a dead transport closes the session).
   */
  private unsent(seq: number, encoder: Encoder, finished: number[] | undefined, waiter: RemotePromise, id: number | undefined, error: unknown): void {
    const { ctx } = this;
    ctx.requests.take(seq);
    this.kept.delete(seq);
    ctx.exports.unsend(encoder.sent);
    if (finished !== undefined) for (const answer of finished) ctx.imports.finish(answer);
    if (isMessageFailure(error)) {
      waiter.fail(error);
    } else {
      ctx.close(error as Error, false);
      waiter.fail(ctx.closedError(id));
    }
  }

  /** Whether the peer keeps the answer to `seq` for pipelining (until we finish it). */
  keeps(seq: number): boolean {
    return this.kept.has(seq);
  }

  /** We no longer pipeline on the peer's answer `seq`: it is finished with our next message. */
  finish(seq: number): void {
    if (this.kept.delete(seq)) this.ctx.imports.finish(seq);
  }

  /** Sends an encoded request now (the handshake) and waits for its answer. Never throws. */
  sendNow(message: WireMessage, seq: number, label: RequestLabel, timeoutMs: number): Promise<unknown> {
    const { ctx } = this;
    const waiter = pending(ctx.report);
    ctx.requests.open(seq, waiter, label, false, timeoutMs);
    ctx.outbox.send(message, undefined, (error) => {
      ctx.requests.take(seq);
      if (isMessageFailure(error)) waiter.fail(error);
      else {
        ctx.close(error as Error, false);
        waiter.fail(ctx.closedError());
      }
    });
    return waiter;
  }

  /** Sends a request and waits for its answer synchronously (sync mode). */
  requestSync(target: RequestTarget | undefined, op: RemoteOp | ApiRequest, expectsStale: boolean, timeoutMs: number): unknown {
    const { ctx } = this;
    if (ctx.closed) throw ctx.closedError(target?.target);
    ctx.imports.flush(); // FREEs before we block: the peer may need them
    const seq = ctx.requests.sequence();
    const encoder = ctx.encoder();
    const message = this.encode(seq, target, op, encoder);
    const label: RequestLabel = { op: op.op, target: target?.target ?? 0, key: labelKey(op) };
    // If structured clone refuses the values whole (nothing was sent then): once more, tagged.
    const resend = encoder.clonedWhole
      ? (refusal: unknown): unknown => {
          const again = ctx.encoder();
          again.clonesWhole = false;
          let retry: WireMessage;
          try {
            retry = this.encode(seq, target, op, again);
          } catch {
            throw refusal; // values that cannot even be encoded again: see `resend`
          }
          return this.exchange(retry, seq, expectsStale, again, timeoutMs, label);
        }
      : undefined;
    return this.exchange(message, seq, expectsStale, encoder, timeoutMs, label, resend);
  }

  /**
   * Blocks on the transport for the answer to `message`, and reads it. An answer that is a
   * promise of the peer (`label`: of a request of the application) comes back as a promise that
   * waits at most `timeoutMs` for it to settle, as an async request's answer does.
   */
  exchange(
    message: WireMessage,
    seq: number,
    expectsStale: boolean,
    encoder: Encoder | undefined,
    timeoutMs: number,
    label?: RequestLabel,
    resend?: (refusal: unknown) => unknown,
  ): unknown {
    const target = label?.target;
    const { ctx } = this;
    // The peer must read what we queued before this request, which overtakes any queue.
    ctx.outbox.flush();
    let raw: WireMessage;
    try {
      raw = (ctx.transport.requestSync as (m: WireMessage, t?: number, x?: readonly object[]) => WireMessage)(
        message,
        timeoutMs,
        encoder?.transfers,
      );
    } catch (error) {
      if (encoder !== undefined) ctx.exports.unsend(encoder.sent);
      if (resend !== undefined && codeOf(error) === 'ERR_REMOTE_UNENCODABLE') return resend(error);
      if (isMessageFailure(error)) throw error;
      // A lost or late answer leaves the channel out of step: the session cannot go on, and
      // every later use says why (a timeout is the cause of the closed session).
      ctx.close(error as Error, false);
      throw ctx.closedError(target);
    }
    const answer = parseMessage(raw);
    if (
      answer instanceof Malformed ||
      (answer.op !== 'result' && answer.op !== 'error') ||
      (answer.seq !== seq && !(answer.op === 'error' && answer.seq === 0))
    ) {
      this.inbound.giveBack(raw);
      throw protocolError(`Malformed answer: expected the answer to request ${seq}`);
    }
    const value = this.inbound.readAnswer(answer, expectsStale);
    if (label === undefined || timeoutMs <= 0 || !ctx.promises.isUnsettled(value)) return value;
    // The peer's promise is the application's now: a rejection it does not await is its own.
    const waiter = pending();
    ctx.requests.open(seq, waiter, label, false, timeoutMs);
    this.inbound.awaitSettle(ctx.requests.answered(seq)!, value);
    return waiter;
  }

  /**
   * Encodes request `op` on `target` (or a `require`/`global` when there is none). Throws what
   * encoding throws, with the sends it counted given back.
   */
  private encode(
    seq: number,
    target: RequestTarget | undefined,
    op: RemoteOp | ApiRequest,
    encoder: Encoder,
  ): { keep?: true; a?: number[]; readonly [field: string]: unknown } {
    try {
      if (target === undefined) {
        const api = op as ApiRequest;
        return { op: api.op, seq, name: api.name };
      }
      return encodeOperation(seq, target, op as RemoteOp, encoder);
    } catch (error) {
      this.ctx.exports.unsend(encoder.sent);
      throw error;
    }
  }
}

function labelKey(op: RemoteOp | ApiRequest): string | readonly string[] | undefined {
  return 'name' in op ? op.name : op.path;
}

/** The message for operation `op` on `to` (an export of the peer, or its kept answer). */
function encodeOperation(seq: number, to: RequestTarget, op: RemoteOp, encoder: Encoder): WireMessage {
  // Fixed shapes: these are built on every call.
  const { target, on } = to;
  switch (op.op) {
    case 'get':
      return on === undefined ? { op: 'get', seq, target, path: op.path } : { op: 'get', seq, on, path: op.path };
    case 'set':
      return encodeValues(
        encoder,
        on === undefined ? { op: 'set', seq, target, path: op.path } : { op: 'set', seq, on, path: op.path },
        [op.value],
      );
    case 'call': {
      const head: { op: 'call'; [field: string]: unknown } =
        on === undefined ? { op: 'call', seq, target } : { op: 'call', seq, on };
      if (op.path !== undefined) head.path = op.path;
      if (op.expect !== undefined) head.expect = op.expect;
      return encodeValues(encoder, head, [op.path === undefined ? op.thisArg : undefined, op.args]);
    }
    case 'new': {
      const head: { op: 'new'; [field: string]: unknown } =
        on === undefined ? { op: 'new', seq, target } : { op: 'new', seq, on };
      if (op.path !== undefined) head.path = op.path;
      if (op.expect !== undefined) head.expect = op.expect;
      return encodeValues(encoder, head, [op.args]);
    }
  }
}
