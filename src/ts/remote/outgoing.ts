/**
 * Our requests to the peer: encoding them (a failure gives back the sends it counted), sending
 * them async (the answer's promise never throws, it rejects) or sync (blocking on the transport's
 * `requestSync`), and reading a sync answer.
 */
import { encodeValues } from './codec/messages';
import type { Encoder } from './codec/encoder';
import { isMessageFailure, protocolError } from './errors';
import type { ImportRecord } from './import_table';
import type { Inbound } from './inbound';
import { Malformed, parseMessage } from './protocol';
import type { RemoteOp } from './proxy';
import { pending, rejected } from './remote_promise';
import type { RequestLabel } from './requests';
import type { SessionContext } from './session_context';
import type { WireMessage } from './transport';

/** A request of the client API, to the peer itself rather than to one of its objects. */
export interface ApiRequest {
  readonly op: 'require' | 'global';
  readonly name: string;
}

export class Outgoing {
  constructor(
    private readonly ctx: SessionContext,
    private readonly inbound: Inbound,
  ) {}

  /**
   * Sends an async request on `record` (none: a `require`/`global`) and returns its answer's
   * promise. Never throws: a closed session, a full request table, an encoding or sending
   * failure all reject.
   */
  request(record: ImportRecord | undefined, op: RemoteOp | ApiRequest, expectsStale: boolean, timeoutMs: number): Promise<unknown> {
    const { ctx } = this;
    if (ctx.closed) return rejected(ctx.closedError(record?.id), ctx.report);
    const seq = ctx.requests.sequence();
    const encoder = ctx.encoder();
    let message: WireMessage;
    try {
      ctx.requests.assertRoom();
      message = this.encode(seq, record, op, encoder);
    } catch (error) {
      return rejected(error, ctx.report);
    }
    const label: RequestLabel = { op: op.op, target: record === undefined ? 0 : record.id, key: labelKey(op) };
    return this.send(message, seq, encoder, label, expectsStale, timeoutMs);
  }

  /** Sends an encoded request and waits for its answer. Never throws. */
  send(message: WireMessage, seq: number, encoder: Encoder | undefined, label: RequestLabel, expectsStale: boolean, timeoutMs: number): Promise<unknown> {
    const { ctx } = this;
    const waiter = pending(ctx.report);
    ctx.requests.open(seq, waiter, label, expectsStale, timeoutMs);
    try {
      ctx.transport.send(message);
    } catch (error) {
      ctx.requests.take(seq);
      if (encoder !== undefined) ctx.exports.unsend(encoder.sent);
      if (isMessageFailure(error)) {
        waiter.fail(error);
      } else {
        ctx.close(error as Error, false);
        waiter.fail(ctx.closedError(label.target === 0 ? undefined : label.target));
      }
    }
    return waiter;
  }

  /** Sends a request and waits for its answer synchronously (sync mode). */
  requestSync(record: ImportRecord | undefined, op: RemoteOp | ApiRequest, expectsStale: boolean, timeoutMs: number): unknown {
    const { ctx } = this;
    if (ctx.closed) throw ctx.closedError(record?.id);
    ctx.imports.flush(); // FREEs before we block: the peer may need them
    const seq = ctx.requests.sequence();
    const encoder = ctx.encoder();
    const message = this.encode(seq, record, op, encoder);
    return this.exchange(message, seq, expectsStale, encoder, timeoutMs, record?.id);
  }

  /** Blocks on the transport for the answer to `message`, and reads it. */
  exchange(message: WireMessage, seq: number, expectsStale: boolean, encoder: Encoder | undefined, timeoutMs: number, target?: number): unknown {
    const { ctx } = this;
    let raw: WireMessage;
    try {
      raw = (ctx.transport.requestSync as (m: WireMessage, t?: number) => WireMessage)(message, timeoutMs);
    } catch (error) {
      if (encoder !== undefined) ctx.exports.unsend(encoder.sent);
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
    return this.inbound.readAnswer(answer, expectsStale);
  }

  /**
   * Encodes request `op` on `record` (or a `require`/`global` when there is no record). Throws
   * what encoding throws, with the sends it counted given back.
   */
  private encode(seq: number, record: ImportRecord | undefined, op: RemoteOp | ApiRequest, encoder: Encoder): WireMessage {
    try {
      if (record === undefined) {
        const api = op as ApiRequest;
        return { op: api.op, seq, name: api.name };
      }
      return encodeOperation(seq, record.id, op as RemoteOp, encoder);
    } catch (error) {
      this.ctx.exports.unsend(encoder.sent);
      throw error;
    }
  }
}

function labelKey(op: RemoteOp | ApiRequest): string | undefined {
  return 'name' in op ? op.name : op.key;
}

/** The message for operation `op` on the peer's object `target`. */
function encodeOperation(seq: number, target: number, op: RemoteOp, encoder: Encoder): WireMessage {
  switch (op.op) {
    case 'get':
      return { op: 'get', seq, target, key: op.key };
    case 'set':
      return encodeValues(encoder, { op: 'set', seq, target, key: op.key }, [op.value]);
    case 'call':
      if (op.key === undefined) return encodeValues(encoder, { op: 'call', seq, target }, [op.thisArg, op.args]);
      return encodeValues(
        encoder,
        op.expect === undefined
          ? { op: 'call', seq, target, key: op.key }
          : { op: 'call', seq, target, key: op.key, expect: op.expect },
        [undefined, op.args],
      );
    case 'new':
      return encodeValues(
        encoder,
        op.key === undefined
          ? { op: 'new', seq, target }
          : op.expect === undefined
            ? { op: 'new', seq, target, key: op.key }
            : { op: 'new', seq, target, key: op.key, expect: op.expect },
        [op.args],
      );
  }
}
