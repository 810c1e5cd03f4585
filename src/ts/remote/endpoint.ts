/**
 * One side of one session. Both peers run the same endpoint: each exports (objects it sends by
 * reference) and imports (proxies for the other side's objects), answers the other side's
 * requests and sends its own. A server endpoint additionally resolves `require` / `getGlobal`.
 *
 * The endpoint coordinates focused parts: `Incoming` (validation and dispatch), `Handshake`,
 * `RequestTracker` (our requests, timeouts), `PromiseTable`, the export and import tables, and
 * the codec. Its own rules are few and global:
 * - every request gets exactly one answer, whatever it carries;
 * - every reference the peer sends either becomes a proxy receipt or is given back with a FREE
 *   (a refused, malformed, late or otherwise unused message pins nothing on the peer);
 * - a message we fail to encode or to send gives back the references it counted;
 * - a message the transport cannot carry (too large, too deep) fails only that message;
 * - nothing throws into the transport, and no promise of ours is left rejected unobserved.
 */
import { decodeValues, encodeValues } from './codec/messages';
import { Decoder, type DecoderHost } from './codec/decoder';
import { Encoder, type EncoderHost, type EncoderOptions } from './codec/encoder';
import { countReferences } from './codec/references';
import { codeOf, isMessageFailure, protocolError, RemoteError } from './errors';
import { ExportTable } from './export_table';
import { Handshake } from './handshake';
import { ImportTable, type ImportRecord } from './import_table';
import { Incoming, type Handlers, type Reply } from './incoming';
import { ByReference, runOperation, type OperationContext } from './operations';
import { PromiseTable } from './promise_table';
import { isId, Malformed, parseMessage, STALE, type Answer, type MessageOf, type Request, type Tagged } from './protocol';
import { makeProxy, proxyInfo, releasedError, type ProxyHost, type RemoteOp } from './proxy';
import { pending, rejected, type RemotePromise } from './remote_promise';
import { currentTimeoutOverride, RequestTracker, type RequestLabel } from './requests';
import type { SessionPolicy } from './session_options';
import type { Transport, WireMessage } from './transport';

export interface EndpointOptions {
  /** Client endpoints send HELLO; server endpoints require it before anything else. */
  readonly role: 'client' | 'server';
  /** Whether imported proxies answer synchronously (needs `transport.requestSync`). */
  readonly sync: boolean;
  /** Sync mode: members read as functions become one-round-trip method stubs. */
  readonly cacheMethods?: boolean;
  readonly policy: SessionPolicy;
  /** Server only: what `require(name)` returns; throws for names not served. */
  readonly resolveModule?: (name: string) => object;
  /** Server only: what `getGlobal(name)` returns; throws for names not served. */
  readonly resolveGlobal?: (name: string) => unknown;
  /** The session's 'error' channel: failures nobody awaits. */
  readonly report: (failure: unknown) => void;
  readonly onClose?: (endpoint: Endpoint, reason: Error) => void;
}

/** A request of the client API, to the peer itself rather than to one of its objects. */
export interface ApiRequest {
  readonly op: 'require' | 'global';
  readonly name: string;
}

function labelKey(op: RemoteOp | ApiRequest): string | undefined {
  return 'name' in op ? op.name : op.key;
}

export interface EndpointStats {
  /** Objects this side exports (live registry entries). */
  objects: number;
  /** Sum of their outstanding send counts. */
  references: number;
  /** Live proxies of the peer's objects. */
  proxies: number;
  /** Ids whose FREE is queued. */
  pendingFrees: number;
  /** Our requests still waiting for an answer. */
  pendingCalls: number;
  /** Promises the peer sent that have not settled yet. */
  pendingPromises: number;
}

/** The error answer sent when even encoding the failure failed (it never should). */
function lastResortAnswer(seq: number): WireMessage {
  return { op: 'error', seq, error: { $: 'error', name: 'Error', message: 'The remote error could not be sent' } };
}

export class Endpoint implements EncoderHost, DecoderHost, ProxyHost {
  readonly sync: boolean;
  readonly cacheMethods: boolean;
  private readonly policy: SessionPolicy;
  private readonly encoderOptions: EncoderOptions;
  private readonly operations: OperationContext;
  private readonly exports = new ExportTable();
  private readonly imports: ImportTable;
  private readonly requests: RequestTracker;
  private readonly promises: PromiseTable;
  private readonly handshake: Handshake;
  private closeReason: Error | undefined;
  /** Messages dropped: malformed, unknown answers and settles, lost by the transport. */
  dropped = 0;
  freeMessagesReceived = 0;

  constructor(
    private readonly transport: Transport,
    private readonly options: EndpointOptions,
  ) {
    this.sync = options.sync;
    this.cacheMethods = options.sync && options.cacheMethods !== false;
    this.policy = options.policy;
    this.encoderOptions = { maxDepth: this.policy.maxDepth, errorStacks: this.policy.errorStacks };
    this.operations = {
      allowPrototypeAccess: this.policy.allowPrototypeAccess,
      allowWrites: this.policy.allowWrites,
      resolveModule: options.resolveModule,
      resolveGlobal: options.resolveGlobal,
      lookupExport: (id) => this.lookupExport(id),
      findExport: (id) => this.exports.lookup(id),
    };
    this.imports = new ImportTable((entries) => this.sendNotice({ op: 'free', e: entries }));
    this.requests = new RequestTracker(this.policy.callTimeoutMs, this.policy.maxPendingCalls);
    this.promises = new PromiseTable(this.policy.maxPendingCalls);
    this.handshake = new Handshake(options.role);
    const incoming = new Incoming(this.handlers(), {
      closed: () => this.closed,
      malformed: (problem, reply) => this.onMalformed(problem, reply),
      unanswered: (reply) => reply(this.failureAnswer(0, protocolError('Message expects no reply'))),
      bug: (error) => options.report(error),
    });
    transport.start({
      message: incoming.receive,
      close: (error) => this.close(error ?? new Error(`the ${transport.kind} transport closed`), false),
      problem: (error) => {
        this.dropped++;
        options.report(error);
      },
    });
    if (options.role === 'client' && !this.closed) this.hello();
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get kind(): string {
    return this.transport.kind;
  }

  get ready(): Promise<void> {
    return this.handshake.ready;
  }

  stats(): EndpointStats {
    return {
      objects: this.exports.size,
      references: this.exports.references,
      proxies: this.closed ? 0 : this.imports.liveProxies,
      pendingFrees: this.imports.pendingFrees,
      pendingCalls: this.requests.size,
      pendingPromises: this.promises.pending,
    };
  }

  counters(): { proxiesCreated: number; freeMessagesSent: number; freeMessagesReceived: number } {
    return {
      proxiesCreated: this.imports.created,
      freeMessagesSent: this.imports.freeMessages,
      freeMessagesReceived: this.freeMessagesReceived,
    };
  }

  // ---- incoming ----------------------------------------------------------------------------

  private handlers(): Handlers {
    const request = (message: Exclude<Request, MessageOf<'hello'>>, reply: Reply | undefined): void =>
      this.onRequest(message, reply);
    return {
      hello: (message, reply) => this.onHello(message, reply),
      require: request,
      global: request,
      get: request,
      set: request,
      call: request,
      new: request,
      result: (message) => this.onAnswer(message),
      error: (message) => this.onAnswer(message),
      free: (message) => this.onFree(message),
      settle: (message) => this.onSettle(message),
      bye: () => this.close(new Error('the peer closed the session'), false),
    };
  }

  private onMalformed(problem: Malformed, reply: Reply | undefined): void {
    this.dropped++;
    this.giveBack(problem.raw);
    if (reply !== undefined || problem.seq !== 0) this.answer(this.failureAnswer(problem.seq, protocolError(problem.why)), reply);
  }

  private onHello(message: MessageOf<'hello'>, reply: Reply | undefined): void {
    let version: number;
    try {
      version = this.handshake.onHello(message);
    } catch (error) {
      this.answer(this.failureAnswer(message.seq, error), reply);
      // Answer first, then hang up: the peer should see why.
      if (codeOf(error) === 'ERR_REMOTE_VERSION') setImmediate(() => this.close(error as Error));
      return;
    }
    this.answer({ op: 'result', seq: message.seq, value: version }, reply);
  }

  private onRequest(message: Exclude<Request, MessageOf<'hello'>>, reply: Reply | undefined): void {
    let decoder = undefined as Decoder | undefined;
    let handedOver = false;
    let outcome: unknown;
    try {
      this.handshake.assertGreeted();
      outcome = runOperation(message, this.operations, (m) => {
        decoder = this.decoder();
        const values = decodeValues(decoder, m);
        handedOver = true;
        return values;
      });
    } catch (error) {
      // Refused before anything used its values: nothing of it may stay counted on the peer.
      if (!handedOver) this.giveBack(message, decoder);
      this.answer(this.failureAnswer(message.seq, error), reply);
      return;
    }
    if (outcome === STALE) {
      this.giveBack(message);
      this.answer({ op: 'result', seq: message.seq, stale: true }, reply);
      return;
    }
    this.answerResult(message.seq, outcome, reply);
  }

  private onAnswer(message: Answer): void {
    const request = this.requests.take(message.seq);
    if (request === undefined) {
      // Late (timed out), unknown, or an error about a message that had no usable seq.
      this.dropped++;
      if (message.op === 'error' && message.seq === 0) this.reportPeerError(message);
      else this.giveBack(message);
      return;
    }
    let value: unknown;
    try {
      value = this.readAnswer(message, request.expectsStale);
    } catch (error) {
      request.promise.fail(error);
      return;
    }
    request.promise.settle(value);
  }

  /** The value of a `result` (STALE for a stale one), or throws the decoded error of an `error`. */
  private readAnswer(message: Answer, expectsStale: boolean): unknown {
    if (message.op === 'result' && message.stale === true) {
      if (!expectsStale) throw protocolError('Malformed answer: stale, but the request named no expected function');
      return STALE;
    }
    const decoder = this.decoder();
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

  private reportPeerError(message: MessageOf<'error'>): void {
    const decoder = this.decoder();
    try {
      this.options.report(decodeValues(decoder, message)[0]);
    } catch (error) {
      this.giveBack(message, decoder);
      this.options.report(error);
    }
  }

  private onFree(message: MessageOf<'free'>): void {
    this.freeMessagesReceived++;
    const entries = message.e;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry === undefined) break; // a hole: the rest of a sparse list is not really there
      if (Array.isArray(entry) && entry.length === 2 && isId(entry[0]) && isId(entry[1])) {
        this.exports.free(entry[0], entry[1]);
      }
    }
  }

  private onSettle(message: MessageOf<'settle'>): void {
    const known = this.promises.settle(message.id, message.ok, () => {
      const decoder = this.decoder();
      try {
        return decodeValues(decoder, message)[0];
      } catch (error) {
        this.giveBack(message, decoder);
        throw error;
      }
    });
    if (!known) {
      this.dropped++;
      this.giveBack(message);
    }
  }

  /**
   * A message nobody will use: the receipts its decoder counted are taken back, the promises it
   * announced forgotten, and every reference in it given back to the peer with a FREE.
   */
  private giveBack(raw: unknown, decoder?: Decoder): void {
    if (decoder !== undefined) {
      for (const id of decoder.imported) this.imports.unreceive(id);
      this.promises.forget(decoder.promises);
    }
    const counts = new Map<number, number>();
    countReferences(raw, counts);
    if (counts.size > 0) this.imports.giveBack(counts);
  }

  // ---- answers -----------------------------------------------------------------------------

  private answerResult(seq: number, outcome: unknown, reply: Reply | undefined): void {
    const encoder = this.encoder();
    let answer: WireMessage;
    try {
      answer =
        outcome instanceof ByReference
          ? { op: 'result', seq, value: encoder.encode(outcome.value, true) }
          : { op: 'result', seq, value: encoder.encode(outcome) };
    } catch (error) {
      this.exports.unsend(encoder.sent);
      this.answer(this.failureAnswer(seq, error), reply);
      return;
    }
    this.answer(answer, reply, encoder, seq);
  }

  /** An error answer for request `seq`. Never throws. */
  private failureAnswer(seq: number, error: unknown): WireMessage {
    const encoder = this.encoder();
    try {
      return encodeValues(encoder, { op: 'error', seq }, [error]);
    } catch {
      this.exports.unsend(encoder.sent);
      return lastResortAnswer(seq);
    }
  }

  /**
   * Sends an answer (in place for a synchronous request). If the transport cannot carry it (too
   * large), the request gets an error answer saying so instead; only a dead transport closes.
   */
  private answer(answer: WireMessage, reply: Reply | undefined, encoder?: Encoder, seq?: number): void {
    if (this.closed && reply === undefined) return;
    try {
      if (reply !== undefined) reply(answer);
      else this.transport.send(answer);
    } catch (error) {
      if (encoder !== undefined) this.exports.unsend(encoder.sent);
      if (!isMessageFailure(error)) {
        this.close(error as Error, false);
        return;
      }
      if (seq !== undefined) this.answer(this.failureAnswer(seq, error), reply);
      else this.options.report(error);
    }
  }

  /** Sends a message that needs no answer (free, settle); a dead transport ends the session. */
  private sendNotice(message: WireMessage, encoder?: Encoder): boolean {
    if (this.closed) return false;
    try {
      this.transport.send(message);
      return true;
    } catch (error) {
      if (encoder !== undefined) this.exports.unsend(encoder.sent);
      if (isMessageFailure(error)) this.options.report(error);
      else this.close(error as Error, false);
      return false;
    }
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    if (this.closed) return;
    const encoder = this.encoder();
    let message: WireMessage;
    try {
      message = encodeValues(encoder, { op: 'settle', id, ok }, [value]);
    } catch (error) {
      // The value could not be sent: the peer's promise rejects with why.
      this.exports.unsend(encoder.sent);
      this.settle(id, false, error);
      return;
    }
    if (this.closed) return;
    try {
      this.transport.send(message);
    } catch (error) {
      this.exports.unsend(encoder.sent);
      if (isMessageFailure(error) && ok) this.settle(id, false, error);
      else if (isMessageFailure(error)) this.options.report(error);
      else this.close(error as Error, false);
    }
  }

  // ---- outgoing requests -------------------------------------------------------------------

  private hello(): void {
    const seq = this.requests.sequence();
    const message = this.handshake.hello(seq);
    const label: RequestLabel = { op: 'hello', target: 0, key: undefined };
    if (this.sync) {
      if (typeof this.transport.requestSync !== 'function') {
        throw new TypeError(`connect: sync mode needs a transport with requestSync; "${this.transport.kind}" has none`);
      }
      try {
        this.handshake.accepted(this.exchange(message, seq, false, undefined, this.requests.timeoutFor(undefined)));
      } catch (error) {
        this.close(error as Error);
        throw error;
      }
      return;
    }
    // A failed handshake closes the session; `ready`, the 'close' event and every request say why.
    this.send(message, seq, undefined, label, false, this.requests.timeoutFor(undefined))
      .then((version) => this.handshake.accepted(version))
      .catch((error: Error) => this.close(error));
  }

  /**
   * Encodes request `op` on `record` (or a `require`/`global` when there is no record). Throws
   * what encoding throws, with the sends it counted given back.
   */
  private encodeRequest(seq: number, record: ImportRecord | undefined, op: RemoteOp | ApiRequest, encoder: Encoder): WireMessage {
    try {
      if (record === undefined) {
        const api = op as ApiRequest;
        return { op: api.op, seq, name: api.name };
      }
      const remote = op as RemoteOp;
      const target = record.id;
      switch (remote.op) {
        case 'get':
          return { op: 'get', seq, target, key: remote.key };
        case 'set':
          return encodeValues(encoder, { op: 'set', seq, target, key: remote.key }, [remote.value]);
        case 'call':
          if (remote.key === undefined) {
            return encodeValues(encoder, { op: 'call', seq, target }, [remote.thisArg, remote.args]);
          }
          return encodeValues(
            encoder,
            remote.expect === undefined
              ? { op: 'call', seq, target, key: remote.key }
              : { op: 'call', seq, target, key: remote.key, expect: remote.expect },
            [undefined, remote.args],
          );
        case 'new':
          return encodeValues(
            encoder,
            remote.key === undefined
              ? { op: 'new', seq, target }
              : remote.expect === undefined
                ? { op: 'new', seq, target, key: remote.key }
                : { op: 'new', seq, target, key: remote.key, expect: remote.expect },
            [remote.args],
          );
      }
    } catch (error) {
      this.exports.unsend(encoder.sent);
      throw error;
    }
  }

  /**
   * Sends an async request and returns its answer's promise. Never throws: a closed session, a
   * full request table, an encoding or sending failure all reject.
   */
  private request(record: ImportRecord | undefined, op: RemoteOp | ApiRequest, expectsStale: boolean, timeoutMs: number): Promise<unknown> {
    const label: RequestLabel = { op: op.op, target: record === undefined ? 0 : record.id, key: labelKey(op) };
    if (this.closed) return this.rejected(this.closedError(record?.id));
    const seq = this.requests.sequence();
    const encoder = this.encoder();
    let message: WireMessage;
    try {
      this.requests.assertRoom();
      message = this.encodeRequest(seq, record, op, encoder);
    } catch (error) {
      return this.rejected(error);
    }
    return this.send(message, seq, encoder, label, expectsStale, timeoutMs);
  }

  private send(message: WireMessage, seq: number, encoder: Encoder | undefined, label: RequestLabel, expectsStale: boolean, timeoutMs: number): Promise<unknown> {
    const waiter = pending(this.options.report);
    this.requests.open(seq, waiter, label, expectsStale, timeoutMs);
    try {
      this.transport.send(message);
    } catch (error) {
      this.requests.take(seq);
      if (encoder !== undefined) this.exports.unsend(encoder.sent);
      if (isMessageFailure(error)) {
        waiter.fail(error);
      } else {
        this.close(error as Error, false);
        waiter.fail(this.closedError(label.target === 0 ? undefined : label.target));
      }
    }
    return waiter;
  }

  /** Sends a request and waits for its answer synchronously (sync mode). */
  private requestSync(record: ImportRecord | undefined, op: RemoteOp | ApiRequest, expectsStale: boolean, timeoutMs: number): unknown {
    if (this.closed) throw this.closedError(record?.id);
    this.imports.flush();
    const seq = this.requests.sequence();
    const encoder = this.encoder();
    const message = this.encodeRequest(seq, record, op, encoder);
    return this.exchange(message, seq, expectsStale, encoder, timeoutMs, record?.id);
  }

  private exchange(message: WireMessage, seq: number, expectsStale: boolean, encoder: Encoder | undefined, timeoutMs: number, target?: number): unknown {
    let raw: WireMessage;
    try {
      raw = (this.transport.requestSync as (m: WireMessage, t?: number) => WireMessage)(message, timeoutMs);
    } catch (error) {
      if (encoder !== undefined) this.exports.unsend(encoder.sent);
      if (isMessageFailure(error)) throw error;
      // A lost or late answer leaves the channel out of step: the session cannot go on, and
      // every later use says why (a timeout is the cause of the closed session).
      this.close(error as Error, false);
      throw this.closedError(target);
    }
    const answer = parseMessage(raw);
    if (
      answer instanceof Malformed ||
      (answer.op !== 'result' && answer.op !== 'error') ||
      (answer.seq !== seq && !(answer.op === 'error' && answer.seq === 0))
    ) {
      this.giveBack(raw);
      throw protocolError(`Malformed answer: expected the answer to request ${seq}`);
    }
    return this.readAnswer(answer, expectsStale);
  }

  /** A request from the client API (require, getGlobal) in this endpoint's mode. */
  call(request: ApiRequest): unknown {
    const timeoutMs = this.requests.timeoutFor(currentTimeoutOverride());
    return this.sync ? this.requestSync(undefined, request, false, timeoutMs) : this.request(undefined, request, false, timeoutMs);
  }

  // ---- ProxyHost ---------------------------------------------------------------------------

  assertUsable(record: ImportRecord): void {
    if (this.closed) throw this.closedError(record.id);
    if (record.released) throw releasedError(record);
  }

  perform(record: ImportRecord, op: RemoteOp): unknown {
    const timeoutMs = this.requests.timeoutFor(op.op === 'get' && op.timeoutMs !== undefined ? op.timeoutMs : currentTimeoutOverride());
    const expectsStale = op.op !== 'get' && op.op !== 'set' && op.expect !== undefined;
    if (this.sync) {
      this.assertUsable(record);
      return this.requestSync(record, op, expectsStale, timeoutMs);
    }
    if (this.closed) return this.rejected(this.closedError(record.id));
    if (record.released) return this.rejected(releasedError(record));
    return this.request(record, op, expectsStale, timeoutMs);
  }

  release(record: ImportRecord): boolean {
    const released = this.imports.release(record);
    if (released && this.sync) this.imports.flush();
    return released;
  }

  // ---- codec hosts -------------------------------------------------------------------------

  reference(value: object, sent: number[]): Tagged {
    // A proxy of this session (or a method stub: its function) goes back as the peer's own object.
    const info = proxyInfo(value);
    if (info !== undefined && info.host === this) {
      this.assertUsable(info.record);
      return { $: 'yours', id: info.record.id };
    }
    const id = this.exports.send(value);
    sent.push(id);
    return typeof value === 'function' ? { $: 'ref', id, fn: true } : { $: 'ref', id };
  }

  homeReference(value: object): Tagged | undefined {
    const info = proxyInfo(value);
    if (info === undefined || info.host !== this || info.record.released || this.closed) return undefined;
    return { $: 'yours', id: info.record.id };
  }

  exportPromise(value: Promise<unknown>): number {
    return this.promises.export(value, (id, ok, result) => this.settle(id, ok, result));
  }

  importRef(id: number, callable: boolean): object {
    if (this.closed) throw this.closedError(id);
    return this.imports.receive(id, (record) => makeProxy(this, record, callable));
  }

  lookupExport(id: number): object {
    const value = this.exports.lookup(id);
    if (value === undefined) throw protocolError(`Unknown or freed object id ${id}`);
    return value;
  }

  importPromise(id: number): Promise<unknown> {
    return this.promises.import(id);
  }

  private encoder(): Encoder {
    return new Encoder(this, this.encoderOptions);
  }

  private decoder(): Decoder {
    return new Decoder(this, this.policy.maxDepth);
  }

  private rejected(error: unknown): Promise<unknown> {
    return rejected(error, this.options.report);
  }

  // ---- closing -----------------------------------------------------------------------------

  closedError(id?: number): RemoteError {
    const what = id === undefined ? '' : `: cannot use remote object #${id}`;
    const why = this.closeReason?.message ?? 'closed';
    return new RemoteError('ERR_REMOTE_CLOSED', `Remote session closed (${why})${what}`, {
      cause: this.closeReason,
    });
  }

  /**
   * Ends the session: our exports are dropped, our proxies die, pending calls and promises
   * reject. `notify` tells the peer (when the transport is still up).
   */
  close(reason: Error = new Error('closed by this side'), notify = true): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    if (notify) {
      try {
        this.transport.send({ op: 'bye' });
      } catch {
        // the transport is already down: the peer learns it from there
      }
    }
    const error = this.closedError();
    this.handshake.fail(error);
    this.requests.failAll(error);
    this.promises.rejectAll(error);
    this.exports.clear();
    this.imports.close();
    try {
      this.transport.close();
    } catch {
      // already closed
    }
    this.options.onClose?.(this, reason);
  }
}
