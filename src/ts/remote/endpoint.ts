/**
 * One side of one session. Both peers run the same endpoint: each exports (objects it sends by
 * reference) and imports (proxies for the other side's objects), answers the other side's
 * requests and sends its own. A server endpoint additionally resolves `require` / `getGlobal`.
 */
import { Decoder, Encoder, type CodecHost, type Tagged } from './codec';
import { deferred, type Deferred } from './deferred';
import { protocolError, RemoteError } from './errors';
import { ExportTable } from './export_table';
import { ImportTable, type ImportRecord } from './import_table';
import { PROTOCOL_NAME, PROTOCOL_VERSION, STALE, isId, isRecord, describeValue, literal } from './protocol';
import { runOperation, type OperationContext } from './operations';
import { makeProxy, proxyInfo, releasedError, type ProxyHost, type RemoteOp } from './proxy';
import type { Transport, WireMessage } from './transport';

type Fields = { readonly [key: string]: unknown };

export interface EndpointOptions {
  /** Client endpoints send HELLO; server endpoints require it before anything else. */
  readonly role: 'client' | 'server';
  /** Whether imported proxies answer synchronously (needs `transport.requestSync`). */
  readonly sync: boolean;
  /** Sync mode: members read as functions become one-round-trip method stubs. */
  readonly cacheMethods?: boolean;
  /** Lets the peer read `__proto__`, `constructor`, `prototype` and inherited builtin members. */
  readonly allowPrototypeAccess: boolean;
  /** Server only: what `require(name)` returns; throws for names not served. */
  readonly resolveModule?: (name: string) => object;
  /** Server only: what `getGlobal(name)` returns; throws for names not served. */
  readonly resolveGlobal?: (name: string) => unknown;
  readonly onClose?: (endpoint: Endpoint) => void;
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

const noop = (): void => {};
export class Endpoint implements CodecHost, ProxyHost {
  readonly sync: boolean;
  readonly cacheMethods: boolean;
  private readonly operations: OperationContext;
  private readonly exports = new ExportTable();
  private readonly imports: ImportTable;
  private readonly pending = new Map<number, Deferred>();
  private readonly inbound = new Map<number, Deferred>();
  private nextSeq = 1;
  private nextPromise = 1;
  private greeted = false;
  private closeReason: Error | undefined;
  /** Resolves once the peer accepted our HELLO (client) or we accepted its HELLO (server). */
  readonly ready: Promise<void>;
  private readonly readyDeferred = deferred();
  /** Messages dropped because they were malformed and could not be answered. */
  dropped = 0;
  freeMessagesReceived = 0;

  constructor(
    private readonly transport: Transport,
    private readonly options: EndpointOptions,
  ) {
    this.sync = options.sync;
    this.cacheMethods = options.sync && options.cacheMethods !== false;
    this.operations = this.operationContext();
    this.ready = this.readyDeferred.promise as Promise<void>;
    this.ready.catch(noop);
    this.imports = new ImportTable((entries) => this.sendQuietly({ op: 'free', e: entries }));
    transport.start({
      message: (message, reply) => this.receive(message, reply),
      close: (error) => this.close(error ?? new Error(`the ${transport.kind} transport closed`), false),
    });
    if (options.role === 'client') this.hello();
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get kind(): string {
    return this.transport.kind;
  }

  stats(): EndpointStats {
    return {
      objects: this.exports.size,
      references: this.exports.references,
      proxies: this.closed ? 0 : this.imports.liveProxies,
      pendingFrees: this.imports.pendingFrees,
      pendingCalls: this.pending.size,
      pendingPromises: this.inbound.size,
    };
  }

  counters(): { proxiesCreated: number; freeMessagesSent: number; freeMessagesReceived: number } {
    return {
      proxiesCreated: this.imports.created,
      freeMessagesSent: this.imports.freeMessages,
      freeMessagesReceived: this.freeMessagesReceived,
    };
  }

  // ---- handshake -------------------------------------------------------------------------

  private hello(): void {
    const message = { op: 'hello', protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION };
    if (this.sync) {
      if (typeof this.transport.requestSync !== 'function') {
        throw new TypeError(`connect: sync mode needs a transport with requestSync; "${this.transport.kind}" has none`);
      }
      try {
        this.checkVersion(this.requestSync(message));
        this.accept();
      } catch (error) {
        this.close(error as Error);
        throw error;
      }
      return;
    }
    this.request(message)
      .then((version) => {
        this.checkVersion(version);
        this.accept();
      })
      .catch((error: Error) => this.close(error));
  }

  private checkVersion(version: unknown): void {
    if (version !== PROTOCOL_VERSION) {
      throw new RemoteError(
        'ERR_REMOTE_VERSION',
        `Protocol version mismatch: the server speaks version ${literal(version)}, ` +
          `this side speaks "${PROTOCOL_NAME}" version ${PROTOCOL_VERSION}`,
      );
    }
  }

  private accept(): void {
    this.greeted = true;
    this.readyDeferred.resolve(undefined);
  }

  private onHello(message: Fields): unknown {
    if (this.options.role !== 'server') {
      throw protocolError('Unexpected HELLO: this side is the client');
    }
    if (this.greeted) throw protocolError('Duplicate HELLO');
    if (message.protocol !== PROTOCOL_NAME || message.version !== PROTOCOL_VERSION) {
      // Answer first, then hang up: the peer should see why.
      setImmediate(() => this.close(new RemoteError('ERR_REMOTE_VERSION', 'peer speaks another protocol version')));
      throw new RemoteError(
        'ERR_REMOTE_VERSION',
        `Protocol version mismatch: the peer speaks ${literal(message.protocol)} version ` +
          `${literal(message.version)}, this side speaks "${PROTOCOL_NAME}" version ${PROTOCOL_VERSION}`,
      );
    }
    this.accept();
    return PROTOCOL_VERSION;
  }

  // ---- incoming --------------------------------------------------------------------------

  private receive(message: WireMessage, reply?: (answer: WireMessage) => void): void {
    let answered = false;
    const answer = (value: WireMessage): void => {
      if (answered) return;
      answered = true;
      if (reply !== undefined) reply(value);
      else this.sendQuietly(value);
    };
    try {
      this.dispatch(message, reply === undefined ? undefined : answer);
    } catch {
      // dispatch never throws on purpose; this keeps a bug from taking the process down.
    } finally {
      // A synchronous requester is blocked on us: it gets an answer whatever happened.
      if (reply !== undefined && !answered) answer(this.errorAnswer(0, protocolError('Message expects no reply')));
    }
  }

  private dispatch(message: unknown, reply?: (answer: WireMessage) => void): void {
    if (this.closed) {
      reply?.(this.errorAnswer(0, this.closedError()));
      return;
    }
    if (!isRecord(message) || typeof message.op !== 'string') {
      this.drop(reply, 0, `Malformed message: expected { op: string }, got ${describeValue(message)}`);
      return;
    }
    switch (message.op) {
      case 'hello':
      case 'get':
      case 'set':
      case 'call':
      case 'new':
      case 'require':
      case 'global':
        this.onRequest(message, reply);
        return;
      case 'result':
      case 'error':
        this.onAnswer(message);
        return;
      case 'free':
        this.onFree(message);
        return;
      case 'settle':
        this.onSettle(message);
        return;
      case 'bye':
        this.close(new Error('the peer closed the session'), false);
        return;
      default:
        this.drop(reply, isId(message.seq) ? message.seq : 0, `Unknown operation ${describeValue(message.op)}`);
    }
  }

  private drop(reply: ((answer: WireMessage) => void) | undefined, seq: number, why: string): void {
    if (reply !== undefined || seq !== 0) {
      const answer = this.errorAnswer(seq, protocolError(why));
      if (reply !== undefined) reply(answer);
      else this.sendQuietly(answer);
      return;
    }
    this.dropped++;
  }

  private onRequest(message: Fields, reply?: (answer: WireMessage) => void): void {
    const seq = message.seq;
    if (!isId(seq)) {
      this.drop(reply, 0, `Malformed ${String(message.op)} request: seq must be a positive safe integer`);
      return;
    }
    let answer: WireMessage;
    const encoder = new Encoder(this);
    try {
      const [value, byReference] = this.perform_(message);
      answer =
        value === STALE ? { op: 'result', seq, stale: true } : { op: 'result', seq, value: encoder.encode(value, byReference) };
    } catch (error) {
      this.exports.unsend(encoder.sent);
      answer = this.errorAnswer(seq, error);
    }
    try {
      if (reply !== undefined) reply(answer);
      else this.transport.send(answer);
    } catch (error) {
      this.exports.unsend(encoder.sent);
      this.close(error as Error);
    }
  }

  /** Runs one request: the result, and whether it must go by reference. */
  private perform_(message: Fields): [unknown, boolean] {
    if (message.op === 'hello') return [this.onHello(message), false];
    if (!this.greeted) throw protocolError('Handshake required: send HELLO first');
    return runOperation(message, this.operations);
  }

  /** What requests run against; made once, not per request. */
  private operationContext(): OperationContext {
    return {
      allowPrototypeAccess: this.options.allowPrototypeAccess,
      resolveModule: this.options.resolveModule,
      resolveGlobal: this.options.resolveGlobal,
      lookupExport: (id) => this.lookupExport(id),
      findExport: (id) => this.exports.lookup(id),
      newDecoder: () => {
        const decoder = new Decoder(this);
        return { decode: (value: unknown) => this.decoded(decoder, value) };
      },
    };
  }

  /**
   * Decodes one value of a message. If it is malformed, the promises the message announced so far
   * are forgotten: nobody will ever see them, and their peer has no reason to settle them.
   */
  private decoded(decoder: Decoder, value: unknown): unknown {
    try {
      return decoder.decode(value);
    } catch (error) {
      for (const id of decoder.promises) this.inbound.delete(id);
      throw error;
    }
  }

  private onAnswer(message: Fields): void {
    const seq = message.seq;
    if (!isId(seq)) {
      this.dropped++;
      return;
    }
    const waiter = this.pending.get(seq);
    if (waiter === undefined) {
      this.dropped++;
      return;
    }
    this.pending.delete(seq);
    try {
      const value = this.readAnswer(message, seq);
      waiter.resolve(value);
    } catch (error) {
      waiter.reject(error);
    }
  }

  /** The value of a `result`, or throws the decoded error of an `error` answer. */
  private readAnswer(answer: unknown, seq: number): unknown {
    if (!isRecord(answer) || (answer.seq !== seq && answer.seq !== 0)) {
      throw protocolError(`Malformed answer: expected the answer to request ${seq}, got ${describeValue(answer)}`);
    }
    const decoder = new Decoder(this);
    if (answer.op === 'result') return this.decoded(decoder, answer.value);
    if (answer.op === 'error') throw this.decoded(decoder, answer.error);
    throw protocolError(`Malformed answer: unknown operation ${describeValue(answer.op)}`);
  }

  private onFree(message: Fields): void {
    this.freeMessagesReceived++;
    if (!Array.isArray(message.e)) {
      this.dropped++;
      return;
    }
    for (const entry of message.e) {
      if (Array.isArray(entry) && entry.length === 2 && isId(entry[0]) && isId(entry[1])) {
        this.exports.free(entry[0], entry[1]);
      }
    }
  }

  private onSettle(message: Fields): void {
    if (!isId(message.id) || typeof message.ok !== 'boolean' || !Object.hasOwn(message, 'value')) {
      this.dropped++;
      return;
    }
    const waiter = this.inbound.get(message.id);
    if (waiter === undefined) {
      this.dropped++;
      return;
    }
    this.inbound.delete(message.id);
    try {
      const value = this.decoded(new Decoder(this), message.value);
      if (message.ok) waiter.resolve(value);
      else waiter.reject(value);
    } catch (error) {
      waiter.reject(error);
    }
  }

  // ---- outgoing --------------------------------------------------------------------------

  private errorAnswer(seq: number, error: unknown): WireMessage {
    const encoder = new Encoder(this);
    try {
      return { op: 'error', seq, error: encoder.encode(error) };
    } catch {
      this.exports.unsend(encoder.sent);
      const fallback = new Error(String(error instanceof Error ? error.message : 'Remote error'));
      return { op: 'error', seq, error: new Encoder(this).encode(fallback) };
    }
  }

  /** Sends a message that needs no answer; a failure to send ends the session. */
  private sendQuietly(message: WireMessage): void {
    if (this.closed) return;
    try {
      this.transport.send(message);
    } catch (error) {
      this.close(error as Error, false);
    }
  }

  /** Encodes a request; if encoding fails, the sends it already counted are undone. */
  private buildRequest(
    seq: number,
    op: RemoteOp | Fields,
    record: ImportRecord | undefined,
    encoder: Encoder,
  ): WireMessage {
    try {
      return this.encodeRequest(seq, op, record, encoder);
    } catch (error) {
      this.exports.unsend(encoder.sent);
      throw error;
    }
  }

  private encodeRequest(
    seq: number,
    op: RemoteOp | Fields,
    record: ImportRecord | undefined,
    encoder: Encoder,
  ): WireMessage {
    if (record === undefined) return { ...op, seq };
    const remote = op as RemoteOp;
    const target = record.id;
    // Object literals of fixed shapes: these are built on every call.
    switch (remote.op) {
      case 'get':
        return { seq, op: 'get', target, key: remote.key };
      case 'set':
        return { seq, op: 'set', target, key: remote.key, value: encoder.encode(remote.value) };
      default: {
        const args: unknown[] = new Array(remote.args.length);
        for (let i = 0; i < args.length; i++) args[i] = encoder.encode(remote.args[i]);
        if (remote.key !== undefined) {
          return remote.expect === undefined
            ? { seq, op: remote.op, target, key: remote.key, args }
            : { seq, op: remote.op, target, key: remote.key, args, expect: remote.expect };
        }
        const message: Record<string, unknown> = { seq, op: remote.op, target, args };
        // Never export the global object as `this` by accident (`fn.call(globalThis)`).
        const self = remote.op === 'call' ? remote.thisArg : undefined;
        if (self !== undefined && self !== globalThis) message.this = encoder.encode(self);
        return message;
      }
    }
  }

  /** Sends a request and waits for its answer synchronously (sync mode). */
  requestSync(op: Fields, record?: ImportRecord): unknown {
    if (this.closed) throw this.closedError();
    this.imports.flush();
    const seq = this.nextSeq++;
    const encoder = new Encoder(this);
    const message = this.buildRequest(seq, op as RemoteOp, record, encoder);
    let answer: WireMessage;
    try {
      answer = (this.transport.requestSync as (m: WireMessage) => WireMessage)(message);
    } catch (error) {
      this.exports.unsend(encoder.sent);
      this.close(error as Error, false);
      throw this.closedError();
    }
    // Only a keyed call that named the function it expects may be answered "stale".
    if ((message as Fields).expect !== undefined && isRecord(answer) && answer.op === 'result' && answer.stale === true) {
      if (answer.seq !== seq) throw protocolError(`Malformed answer: expected the answer to request ${seq}`);
      return STALE;
    }
    return this.readAnswer(answer, seq);
  }

  /** Sends a request; the Promise settles with its answer. */
  request(op: Fields, record?: ImportRecord): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closedError());
    const seq = this.nextSeq++;
    const encoder = new Encoder(this);
    let message: WireMessage;
    try {
      message = this.buildRequest(seq, op as RemoteOp, record, encoder);
    } catch (error) {
      return Promise.reject(error);
    }
    const waiter = deferred();
    this.pending.set(seq, waiter);
    try {
      this.transport.send(message);
    } catch (error) {
      this.pending.delete(seq);
      this.exports.unsend(encoder.sent);
      this.close(error as Error, false);
      return Promise.reject(this.closedError());
    }
    return waiter.promise;
  }

  /** A request from the API (require, getGlobal, set) in this endpoint's mode. */
  call(op: Fields, record?: ImportRecord): unknown {
    return this.sync ? this.requestSync(op, record) : this.request(op, record);
  }

  // ---- ProxyHost -------------------------------------------------------------------------

  assertUsable(record: ImportRecord): void {
    if (this.closed) throw this.closedError(record.id);
    if (record.released) throw releasedError(record);
  }

  perform(record: ImportRecord, op: RemoteOp): unknown {
    if (this.sync) {
      this.assertUsable(record);
      return this.requestSync(op, record);
    }
    try {
      this.assertUsable(record);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.request(op, record);
  }

  release(record: ImportRecord): boolean {
    const released = this.imports.release(record);
    if (released && this.sync) this.imports.flush();
    return released;
  }

  // ---- CodecHost -------------------------------------------------------------------------

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

  exportPromise(value: Promise<unknown>): number {
    const id = this.nextPromise++;
    value.then(
      (result) => this.settle(id, true, result),
      (error) => this.settle(id, false, error),
    );
    return id;
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    if (this.closed) return;
    const encoder = new Encoder(this);
    let message: WireMessage;
    try {
      message = { op: 'settle', id, ok, value: encoder.encode(value) };
    } catch (error) {
      this.exports.unsend(encoder.sent);
      message = { op: 'settle', id, ok: false, value: new Encoder(this).encode(error) };
    }
    this.sendQuietly(message);
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
    if (this.inbound.has(id)) throw protocolError(`Duplicate promise id ${id}`);
    const waiter = deferred();
    this.inbound.set(id, waiter);
    return waiter.promise;
  }

  // ---- closing ---------------------------------------------------------------------------

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
    this.readyDeferred.reject(error);
    for (const waiter of [...this.pending.values(), ...this.inbound.values()]) {
      // Nobody may be listening (a fire-and-forget call): a closed session must not crash the process.
      waiter.promise.catch(noop);
      waiter.reject(error);
    }
    this.pending.clear();
    this.inbound.clear();
    this.exports.clear();
    this.imports.close();
    try {
      this.transport.close();
    } catch {
      // already closed
    }
    this.options.onClose?.(this);
  }
}
