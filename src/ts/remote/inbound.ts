/**
 * What the session does with each kind of incoming message, once `Incoming` validated it: run the
 * peer's requests and answer them exactly once, settle our requests and the peer's promises, apply
 * FREEs. A message nobody will use (refused before it ran, malformed, late, unknown) gives back
 * every reference it carried, so nothing the peer sends pins anything.
 */
import { Array, Error, Map, Object, Promise } from './builtins';
import { setImmediate } from './platform';
import { decodeValues } from './codec/messages';
import type { Decoder } from './codec/decoder';
import { countReferences } from './codec/references';
import { answerResult, failureAnswer, sendAnswer } from './answers';
import { codeOf, protocolError } from './errors';
import type { Handlers, Reply } from './incoming';
import { ByReference, runOnObject, runOnPeer, type OperationContext, type PeerRequest } from './operations';
import { isId, OPS, STALE, type Answer, type Malformed, type MessageOf, type Op } from './protocol';
import type { LostMessage } from './transport';
import { isThenable } from './remote_promise';
import { describeRequest, type PendingRequest } from './requests';
import type { SessionContext } from './session_context';

const nativeThen = Promise.prototype.then;

/** Whether the peer asked us to keep this request's answer for pipelining. */
function keeps(message: PeerRequest): boolean {
  return 'keep' in message && message.keep === true;
}

export class Inbound {
  /** FREE messages received over the session's life. */
  freeMessages = 0;

  constructor(
    private readonly ctx: SessionContext,
    private readonly operations: OperationContext,
  ) {}

  /** One handler per operation of the protocol table. */
  handlers(): Handlers {
    const request = (message: PeerRequest, reply: Reply | undefined): void => this.onRequest(message, reply);
    const answer = (message: Answer): void => this.onAnswer(message);
    return {
      hello: (message, reply) => this.onHello(message, reply),
      require: request,
      global: request,
      get: request,
      set: request,
      call: request,
      new: request,
      result: answer,
      error: answer,
      free: (message) => this.onFree(message),
      settle: (message) => this.onSettle(message),
      bye: () => this.ctx.close(new Error('the peer closed the session'), false),
    };
  }

  /**
   * A message that failed validation: answered if it can be, its references given back. A
   * malformed answer to one of our waiting requests fails that request now, as an answer whose
   * value fails to decode does: the call does not wait for its timeout (or for ever).
   */
  malformed(problem: Malformed, reply: Reply | undefined): void {
    this.ctx.dropped();
    this.giveBack(problem.raw);
    if (reply !== undefined || problem.seq !== 0) {
      sendAnswer(this.ctx, failureAnswer(this.ctx, problem.seq, protocolError(problem.why)), reply);
    }
    const request = problem.answers === 0 ? undefined : this.ctx.requests.answered(problem.answers);
    if (request !== undefined) {
      this.ctx.requests.take(problem.answers);
      request.promise.fail(protocolError(`The peer's answer to ${describeRequest(request)} was malformed: ${problem.why}`));
    }
  }

  /**
   * A message the transport could not read, of which it still read the operation and ids: the
   * request it was gets an error answer (its failure kept if it asked to be kept), our request it
   * answered fails, the peer's promise it settled rejects, each now rather than at its timeout
   * (or never). It carried nothing this side counted.
   */
  lost(lost: LostMessage, error: Error): void {
    const role = Object.hasOwn(OPS, lost.op) ? OPS[lost.op as Op].role : undefined;
    const why = `The peer's ${lost.op} message could not be read: ${error.message}`;
    if (role === 'request' && isId(lost.seq)) {
      const failure = protocolError(why);
      if (lost.keep && lost.op !== 'hello' && this.ctx.answers.hasRoom()) this.ctx.answers.keep(lost.seq, false, failure);
      sendAnswer(this.ctx, failureAnswer(this.ctx, lost.seq, failure), undefined);
    } else if (role === 'answer' && isId(lost.seq)) {
      const request = this.ctx.requests.answered(lost.seq);
      if (request === undefined) return;
      this.ctx.requests.take(lost.seq);
      request.promise.fail(protocolError(`The peer's answer to ${describeRequest(request)} could not be read: ${error.message}`));
    } else if (lost.op === 'settle' && isId(lost.id)) {
      this.ctx.promises.settle(lost.id, false, () => {
        throw protocolError(why);
      });
    }
  }

  /**
   * The value of an answer to our request (STALE for a stale one), or throws the decoded error of
   * an `error` answer. A value that fails to decode gives back its references.
   */
  readAnswer(message: Answer, expectsStale: boolean): unknown {
    if (message.op === 'result' && message.stale === true) {
      if (!expectsStale) throw protocolError('Malformed answer: stale, but the request named no expected function');
      return STALE;
    }
    const decoder = this.ctx.decoder();
    let failure: unknown;
    try {
      if (message.op === 'result') return decodeValues(decoder, message)[0];
      failure = decodeValues(decoder, message)[0];
    } catch (error) {
      this.giveBack(message, decoder);
      throw error;
    }
    throw failure;
  }

  /**
   * A message nobody will use: the receipts its decoder counted are taken back, the promises it
   * announced forgotten, and every reference in it given back to the peer with a FREE.
   */
  giveBack(raw: unknown, decoder?: Decoder): void {
    if (decoder !== undefined) {
      for (const id of decoder.imported) this.ctx.imports.unreceive(id);
      this.ctx.promises.forget(decoder.promises);
    }
    const counts = new Map<number, number>();
    countReferences(raw, counts);
    if (counts.size > 0) this.ctx.imports.giveBack(counts);
  }

  private onHello(message: MessageOf<'hello'>, reply: Reply | undefined): void {
    let version: number;
    try {
      version = this.ctx.handshake.onHello(message);
    } catch (error) {
      sendAnswer(this.ctx, failureAnswer(this.ctx, message.seq, error), reply);
      // Answer first, then hang up: the peer should see why.
      if (codeOf(error) === 'ERR_REMOTE_VERSION') setImmediate(() => this.ctx.close(error as Error));
      return;
    }
    sendAnswer(this.ctx, { op: 'result', seq: message.seq, value: version }, reply);
  }

  private onRequest(message: PeerRequest, reply: Reply | undefined): void {
    // Answers the peer no longer pipelines on (finishes riding on this request).
    if (message.a !== undefined) this.finish(message.a);
    try {
      this.ctx.handshake.assertGreeted();
      if (message.op !== 'require' && message.op !== 'global' && message.on !== undefined) {
        // A pipelined request: it runs on the answer it names, once that settled.
        if (reply !== undefined && this.ctx.answers.isPending(message.on)) {
          throw protocolError('A synchronous request cannot wait for a pipelined answer to settle');
        }
        this.ctx.answers.whenSettled(
          message.on,
          (root) => this.run(message, root, reply),
          (error) => this.refuse(message, error, reply),
        );
        return;
      }
    } catch (error) {
      this.refuse(message, error, reply);
      return;
    }
    this.run(message, undefined, reply);
  }

  /**
   * Answers a request that was refused before anything ran: it pins nothing on the peer. Its
   * failure is kept for requests naming it only while there is room (`run` checks before it runs).
   */
  private refuse(message: PeerRequest, error: unknown, reply: Reply | undefined): void {
    this.giveBack(message);
    if (keeps(message) && codeOf(error) !== 'ERR_REMOTE_BUSY' && this.ctx.answers.hasRoom()) {
      this.ctx.answers.keep(message.seq, false, error);
    }
    sendAnswer(this.ctx, failureAnswer(this.ctx, message.seq, error), reply);
  }

  /** Runs a request on `root` (a kept answer), or on its target (`root` undefined). */
  private run(message: PeerRequest, root: unknown, reply: Reply | undefined): void {
    let decoder = undefined as Decoder | undefined;
    let handedOver = false;
    let outcome: unknown;
    const keep = keeps(message);
    try {
      if (keep) this.ctx.answers.assertRoom();
      if (message.op === 'require' || message.op === 'global') {
        outcome = runOnPeer(message, this.operations);
      } else {
        const target = message.on === undefined ? this.lookup(message.target as number) : root;
        outcome = runOnObject(message, target, this.operations, (m) => {
          decoder = this.ctx.decoder();
          const values = decodeValues(decoder, m);
          handedOver = true;
          return values;
        });
      }
    } catch (error) {
      // Refused before anything used its values: nothing of it may stay counted on the peer.
      if (!handedOver) this.giveBack(message, decoder);
      if (keep && codeOf(error) !== 'ERR_REMOTE_BUSY') this.ctx.answers.keep(message.seq, false, error);
      sendAnswer(this.ctx, failureAnswer(this.ctx, message.seq, error), reply);
      return;
    }
    if (outcome === STALE) {
      this.giveBack(message);
      sendAnswer(this.ctx, { op: 'result', seq: message.seq, stale: true }, reply);
      return;
    }
    if (keep) this.ctx.answers.keep(message.seq, true, ByReference.is(outcome) ? outcome.value : outcome);
    answerResult(this.ctx, message.seq, outcome, reply);
  }

  private lookup(id: number): object {
    const value = this.ctx.exports.lookup(id);
    if (value === undefined) throw protocolError(`Unknown or freed object id ${id}`);
    return value;
  }

  private onAnswer(message: Answer): void {
    const requests = this.ctx.requests;
    const request = requests.answered(message.seq);
    if (request === undefined) {
      // Late (timed out), unknown, or an error about a message that had no usable seq.
      this.ctx.dropped();
      if (message.op === 'error' && message.seq === 0) this.reportPeerError(message);
      else this.giveBack(message);
      return;
    }
    let value: unknown;
    try {
      value = this.readAnswer(message, request.expectsStale);
    } catch (error) {
      requests.take(message.seq);
      request.promise.fail(error);
      return;
    }
    const unsettled = this.ctx.promises.isUnsettled(value);
    if (unsettled ? request.timeoutMs > 0 : isThenable(value)) {
      // Any other thenable (a copied object whose `then` is the peer's function) is adopted
      // here, once, under the same deadline: resolving the caller's promise with it would wait
      // for the peer to call back, for ever.
      this.awaitSettle(request, unsettled ? (value as Promise<unknown>) : Promise.resolve(value));
      return;
    }
    requests.take(message.seq);
    request.promise.settle(value);
  }

  /**
   * A request answered with the peer's promise (any async function answers so) waits for it to
   * settle under the request's own deadline: `callTimeoutMs` bounds the whole call, so a peer
   * that never settles cannot hold the caller, or a place under `maxPendingCalls`, for ever.
   */
  awaitSettle(request: PendingRequest, promise: Promise<unknown>): void {
    const requests = this.ctx.requests;
    const promises = this.ctx.promises;
    requests.awaitSettle(request, () => promises.abandon(promise));
    nativeThen.call(
      promise,
      (value: unknown) => {
        if (requests.take(request.seq) === request) request.promise.settle(value);
      },
      (error: unknown) => {
        if (requests.take(request.seq) === request) request.promise.fail(error);
      },
    );
  }

  private reportPeerError(message: MessageOf<'error'>): void {
    const decoder = this.ctx.decoder();
    try {
      this.ctx.report(decodeValues(decoder, message)[0]);
    } catch (error) {
      this.giveBack(message, decoder);
      this.ctx.report(error);
    }
  }

  private onFree(message: MessageOf<'free'>): void {
    this.freeMessages++;
    const entries = message.e;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry === undefined) break; // a hole: the rest of a sparse list is not really there
      if (Array.isArray(entry) && entry.length === 2 && isId(entry[0]) && isId(entry[1])) {
        this.ctx.exports.free(entry[0], entry[1]);
      }
    }
    if (message.a !== undefined) this.finish(message.a);
  }

  private finish(finished: readonly unknown[]): void {
    for (let i = 0; i < finished.length; i++) {
      const seq = finished[i];
      if (seq === undefined) break; // a hole: the rest of a sparse list is not really there
      if (isId(seq)) this.ctx.answers.finish(seq);
    }
  }

  private onSettle(message: MessageOf<'settle'>): void {
    const known = this.ctx.promises.settle(message.id, message.ok, () => {
      const decoder = this.ctx.decoder();
      try {
        return decodeValues(decoder, message)[0];
      } catch (error) {
        this.giveBack(message, decoder);
        throw error;
      }
    });
    if (!known) {
      this.ctx.dropped();
      this.giveBack(message);
    }
  }
}
