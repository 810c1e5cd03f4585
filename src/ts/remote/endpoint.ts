/**
 * One side of one session. Both peers run the same endpoint: each exports (objects it sends by
 * reference) and imports (proxies for the other side's objects), answers the other side's
 * requests and sends its own. A server endpoint additionally resolves `require` / `getGlobal`.
 *
 * The endpoint is a coordinator: it builds the session's parts and wires them to the transport.
 * - `Incoming` validates each message against the protocol table and routes it;
 * - `Inbound` handles each kind (runs requests, settles answers and promises, applies FREEs);
 * - `answers.ts` sends answers and notices, `Outgoing` our requests;
 * - `Handshake`, `RequestTracker` (timeouts, the pending-call cap), `PromiseTable`, and the
 *   export and import tables keep the state.
 * Its own rules are global: every request gets exactly one answer; every reference the peer
 * sends becomes a proxy receipt or is given back; a message we fail to encode or to send gives
 * back what it counted; nothing throws into the transport; no promise of ours is left rejected
 * unobserved.
 */
import { Error, Promise, TypeError } from './builtins';
import { AnswerTable } from './answer_table';
import { failureAnswer, sendNotice, sendSettle } from './answers';
import { Decoder, type DecoderHost } from './codec/decoder';
import { Encoder, type EncoderHost, type EncoderOptions } from './codec/encoder';
import { protocolError, RemoteError } from './errors';
import { ExportTable } from './export_table';
import { Handshake } from './handshake';
import { ImportTable, type ImportRecord } from './import_table';
import { Inbound } from './inbound';
import { Incoming } from './incoming';
import { readPath, type OperationContext } from './operations';
import { Outbox } from './outbox';
import { Outgoing, type ApiRequest, type RequestTarget } from './outgoing';
import { memberStateOf } from './member_reference';
import { makePipeline, performLocally, pipelineStateOf, type PipelineHost } from './pipeline';
import type { RemoteOp } from './remote_op';
import { PromiseTable } from './promise_table';
import type { Tagged } from './protocol';
import { makeProxy, proxyInfo, releasedError, type ProxyHost } from './proxy';
import { pending, rejected } from './remote_promise';
import { currentTimeoutOverride, RequestTracker, type RequestLabel } from './requests';
import type { SessionContext } from './session_context';
import type { SessionPolicy } from './session_options';
import type { Transport } from './transport';

export type { ApiRequest } from './outgoing';

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
  /** Our answers kept for the peer's pipelined requests, not finished yet. */
  keptAnswers: number;
}

export class Endpoint implements SessionContext, EncoderHost, DecoderHost, ProxyHost, PipelineHost {
  readonly sync: boolean;
  readonly cacheMethods: boolean;
  readonly policy: SessionPolicy;
  readonly report: (failure: unknown) => void;
  readonly exports = new ExportTable();
  readonly imports: ImportTable;
  readonly requests: RequestTracker;
  readonly promises: PromiseTable;
  readonly answers: AnswerTable;
  readonly handshake: Handshake;
  readonly outbox: Outbox;
  private readonly encoderOptions: EncoderOptions;
  private readonly operations: OperationContext;
  private readonly inbound: Inbound;
  private readonly outgoing: Outgoing;
  private closeReason: Error | undefined;
  /** Messages dropped: malformed, unknown answers and settles, lost by the transport. */
  droppedMessages = 0;

  constructor(
    readonly transport: Transport,
    private readonly options: EndpointOptions,
  ) {
    this.sync = options.sync;
    this.cacheMethods = options.sync && options.cacheMethods !== false;
    this.policy = options.policy;
    this.report = options.report;
    this.encoderOptions = {
      maxDepth: this.policy.maxDepth,
      errorStacks: this.policy.errorStacks,
      binary: transport.binary === true,
      clone: transport.clone === true,
      trees: transport.trees === true,
    };
    this.imports = new ImportTable((entries, finished) =>
      sendNotice(this, finished.length === 0 ? { op: 'free', e: entries } : { op: 'free', e: entries, a: finished }),
    );
    this.requests = new RequestTracker(this.policy.callTimeoutMs, this.policy.maxPendingCalls);
    this.promises = new PromiseTable(this.policy.maxPendingCalls);
    this.answers = new AnswerTable(this.policy.maxPendingCalls);
    this.handshake = new Handshake(options.role);
    this.outbox = new Outbox(
      transport,
      () => this.handshake.greeted,
      () => this.closed,
      (failure) => this.report(failure),
    );
    this.operations = {
      allowPrototypeAccess: this.policy.allowPrototypeAccess,
      allowWrites: this.policy.allowWrites,
      resolveModule: options.resolveModule,
      resolveGlobal: options.resolveGlobal,
      findExport: (id) => this.exports.lookup(id),
    };
    this.inbound = new Inbound(this, this.operations);
    this.outgoing = new Outgoing(this, this.inbound);
    const incoming = new Incoming(this.inbound.handlers(), {
      closed: () => this.closed,
      malformed: (problem, reply) => this.inbound.malformed(problem, reply),
      unanswered: (reply) => reply(failureAnswer(this, 0, protocolError('Message expects no reply'))),
      bug: (error) => this.report(error),
    });
    transport.start({
      message: incoming.receive,
      close: (error) => this.close(error ?? new Error(`the ${transport.kind} transport closed`), false),
      problem: (error, lost) => {
        this.dropped();
        this.report(error);
        if (lost !== undefined && !this.closed) this.inbound.lost(lost, error);
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

  dropped(): void {
    this.droppedMessages++;
  }

  stats(): EndpointStats {
    return {
      objects: this.exports.size,
      references: this.exports.references,
      proxies: this.closed ? 0 : this.imports.liveProxies,
      pendingFrees: this.imports.pendingFrees,
      pendingCalls: this.requests.size,
      pendingPromises: this.promises.pending,
      keptAnswers: this.answers.size,
    };
  }

  counters(): { proxiesCreated: number; freeMessagesSent: number; freeMessagesReceived: number } {
    return {
      proxiesCreated: this.imports.created,
      freeMessagesSent: this.imports.freeMessages,
      freeMessagesReceived: this.inbound.freeMessages,
    };
  }

  encoder(request = false): Encoder {
    return new Encoder(this, this.encoderOptions, request);
  }

  decoder(): Decoder {
    return new Decoder(this, this.policy.maxDepth, this.encoderOptions.trees === true);
  }

  // ---- requests ----------------------------------------------------------------------------

  private hello(): void {
    const seq = this.requests.sequence();
    const message = this.handshake.hello(seq);
    const timeoutMs = this.requests.timeoutFor(undefined);
    if (this.sync) {
      if (typeof this.transport.requestSync !== 'function') {
        throw new TypeError(`connect: sync mode needs a transport with requestSync; "${this.transport.kind}" has none`);
      }
      try {
        this.handshake.accepted(this.outgoing.exchange(message, seq, false, undefined, timeoutMs));
      } catch (error) {
        this.close(error as Error);
        throw error;
      }
      return;
    }
    const label: RequestLabel = { op: 'hello', target: 0, key: undefined };
    // A failed handshake closes the session; `ready`, the 'close' event and every request say why.
    this.outgoing
      .sendNow(message, seq, label, timeoutMs)
      .then((version) => this.handshake.accepted(version))
      .catch((error: Error) => this.close(error));
  }

  /** A request from the client API (require, getGlobal) in this endpoint's mode. */
  call(request: ApiRequest): unknown {
    const timeoutMs = this.requests.timeoutFor(currentTimeoutOverride());
    if (this.sync) return this.outgoing.requestSync(undefined, request, false, timeoutMs);
    const sent = this.outgoing.request(undefined, request, false, timeoutMs);
    return makePipeline(this, sent.seq || undefined, sent.promise, { op: request, on: 'the peer' });
  }

  // ---- ProxyHost and PipelineHost ------------------------------------------------------------

  assertUsable(record: ImportRecord): void {
    if (this.closed) throw this.closedError(record.id);
    if (record.released) throw releasedError(record);
  }

  perform(record: ImportRecord, op: RemoteOp): unknown {
    if (this.sync) {
      this.assertUsable(record);
      const expectsStale = op.op !== 'get' && op.op !== 'set' && op.expect !== undefined;
      return this.outgoing.requestSync({ target: record.id }, op, expectsStale, this.timeoutOf(op));
    }
    if (this.closed) return this.rejectedFor(op, this.closedError(record.id));
    if (record.released) return this.rejectedFor(op, releasedError(record));
    return this.send({ target: record.id }, op, record);
  }

  keepsAnswer(seq: number): boolean {
    return this.outgoing.keeps(seq);
  }

  performOnAnswer(seq: number, op: RemoteOp): unknown {
    if (this.closed) return this.rejectedFor(op, this.closedError());
    return this.send({ on: seq }, op, seq);
  }

  performOnValue(value: unknown, op: RemoteOp): unknown {
    const info = proxyInfo(value);
    if (info !== undefined && info.host === this) return this.perform(info.record, op);
    return performLocally(value, op, this.report);
  }

  finishAnswer(seq: number): void {
    this.outgoing.finish(seq);
  }

  /** An async request; a call or `new` gives a pipelined result, the rest a promise. */
  private send(target: RequestTarget, op: RemoteOp, on: ImportRecord | number): unknown {
    const sent = this.outgoing.request(target, op, false, this.timeoutOf(op));
    if (op.op !== 'call' && op.op !== 'new') return sent.promise;
    return makePipeline(this, sent.seq || undefined, sent.promise, { op, on });
  }

  private rejectedFor(op: RemoteOp, error: RemoteError): unknown {
    const promise = rejected(error, this.report);
    return op.op === 'call' || op.op === 'new' ? makePipeline(this, undefined, promise, { op, on: 'a closed session' }) : promise;
  }

  private timeoutOf(op: RemoteOp): number {
    return this.requests.timeoutFor(op.op === 'get' && op.timeoutMs !== undefined ? op.timeoutMs : currentTimeoutOverride());
  }

  release(record: ImportRecord): boolean {
    const released = this.imports.release(record);
    if (released && this.sync) this.imports.flush();
    return released;
  }

  // ---- codec hosts -------------------------------------------------------------------------

  reference(value: object, sent: number[], ordered: boolean): Tagged {
    const home = this.homeReference(value, ordered);
    if (home !== undefined) return home;
    const info = proxyInfo(value);
    if (info !== undefined && info.host === this) throw this.closedError(info.record.id);
    const pipeline = pipelineStateOf(value);
    const member = memberStateOf(value);
    if ((pipeline !== undefined && pipeline.host === this) || (member !== undefined && member.root.host === this)) {
      // A pending result (or a member of one) that the peer keeps no answer for: it goes as a
      // promise of what it resolves to, which the peer gets back as its own object.
      return { $: 'promise', id: this.exportPromise(Promise.resolve(value)) };
    }
    const id = this.exports.send(value);
    sent.push(id);
    return typeof value === 'function' ? { $: 'ref', id, fn: true } : { $: 'ref', id };
  }

  /**
   * What a proxy of this session, a member reference of one, or a pipelined result of ours goes
   * back as: the peer's own object (`yours`, with a path for a member), or its kept answer
   * (`answer`). Undefined for anything else, and for what can no longer be named.
   */
  homeReference(value: object, ordered: boolean): Tagged | undefined {
    if (this.closed) return undefined;
    const info = proxyInfo(value);
    if (info !== undefined) {
      if (info.host !== this || info.record.released) return undefined;
      return { $: 'yours', id: info.record.id };
    }
    const member = memberStateOf(value);
    if (member !== undefined && member.root.host === this) {
      const rootInfo = proxyInfo(member.root.keepAlive);
      if (rootInfo !== undefined) {
        return rootInfo.record.released ? undefined : { $: 'yours', id: rootInfo.record.id, path: member.path };
      }
      const root = pipelineStateOf(member.root.keepAlive);
      // An answer may be named only in a request: it reaches the peer behind the request that
      // the answer belongs to (a sync reply, say, would overtake it).
      if (ordered && root?.seq !== undefined && !root.settled && this.keepsAnswer(root.seq)) {
        return { $: 'answer', seq: root.seq, path: member.path };
      }
      return undefined;
    }
    const pipeline = pipelineStateOf(value);
    if (ordered && pipeline !== undefined && pipeline.host === this && pipeline.seq !== undefined && !pipeline.settled) {
      return this.keepsAnswer(pipeline.seq) ? { $: 'answer', seq: pipeline.seq } : undefined;
    }
    return undefined;
  }

  exportPromise(value: Promise<unknown>): number {
    return this.promises.export(value, (id, ok, result) => sendSettle(this, id, ok, result));
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

  answerValue(seq: number): unknown {
    return this.answers.valueOf(seq);
  }

  readPath(root: unknown, path: readonly string[]): unknown {
    if (root instanceof Promise) {
      // A kept answer still pending. The served code may ignore the member it gets: its failure
      // (a rejected answer, a denied member) is handled, as a promise of the peer's is.
      const member = pending();
      root.then((settled) => {
        try {
          member.settle(readPath(settled, path, this.operations));
        } catch (error) {
          member.fail(error);
        }
      }, (error: unknown) => member.fail(error));
      return member;
    }
    return readPath(root, path, this.operations);
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
    // What we queued before closing leaves before the goodbye (a dead pipe closes us here).
    if (notify) this.outbox.flush();
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
    this.answers.clear();
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
