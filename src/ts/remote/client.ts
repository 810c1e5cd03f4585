/**
 * The connecting side: `connect(transport, { sync })` returns a `RemoteClient`.
 */
import { Error, Promise, TypeError } from './builtins';
import { EventEmitter } from './platform';
import { Endpoint } from './endpoint';
import { FailureChannel } from './failures';
import { forgetMethod, proxyInfo } from './proxy';
import { sessionPolicy, type SessionOptions } from './session_options';
import type { Transport } from './transport';
import type { RemoteResult } from './types';

export interface ConnectOptions extends SessionOptions {
  /**
   * true: member reads, writes, calls and `new` return results directly (needs a transport with
   * `requestSync`). false (default): they return Promises.
   */
  readonly sync?: boolean;
  /**
   * Sync mode only. true (default): once a member has been read as a function, `proxy.name`
   * returns a method stub and `proxy.name(args)` calls the remote object's current `name` in one
   * round trip. false: every read goes to the peer (a call is then a read plus a call).
   */
  readonly cacheMethods?: boolean;
}

export interface ClientStats {
  /** Live cached proxies. */
  proxies: number;
  /** Ids whose FREE is queued and not sent yet. */
  pendingFrees: number;
  /** Proxies created over the session's life. */
  proxiesCreated: number;
  /** FREE messages sent over the session's life. */
  freeMessagesSent: number;
  /** Objects this side exports to the server (callbacks and other by-reference arguments). */
  exportedObjects: number;
  /**
   * Requests not finished: waiting for an answer, or answered with a promise of the server that
   * has not settled (both bounded by `callTimeoutMs` and `maxPendingCalls`).
   */
  pendingCalls: number;
  /** Promises the server sent (as answers or inside values) that have not settled yet. */
  pendingPromises: number;
  /** Messages dropped: malformed, late or unknown answers, lost by the transport. */
  dropped: number;
}

type Result<S extends boolean, T> = S extends true ? T : Promise<T>;
type IsAny<T> = 0 extends 1 & T ? true : false;
/** What `require`/`getGlobal` give: the value itself (sync), or a pipelined result (async). */
type Loaded<S extends boolean, T> = IsAny<T> extends true ? any : S extends true ? T : RemoteResult<T>;

export interface RemoteClient {
  /** A failure nobody awaited (see docs/security.md); without a listener it is a process warning. */
  on(event: 'error', listener: (error: Error) => void): this;
  /** The session ended; `reason` says why. */
  on(event: 'close', listener: (reason: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * One session with a server. An EventEmitter: `'error'` carries failures nobody awaited (a call
 * whose promise nobody subscribed to, a message the transport lost), `'close'` the end of the
 * session. With no `'error'` listener those failures become process warnings.
 */
export class RemoteClient<S extends boolean = boolean> extends EventEmitter {
  private readonly endpoint: Endpoint;

  /** @internal */
  constructor(transport: Transport, options: ConnectOptions) {
    super();
    const failures = new FailureChannel([{ emitter: this }]);
    this.endpoint = new Endpoint(transport, {
      role: 'client',
      sync: options.sync === true,
      cacheMethods: options.cacheMethods !== false,
      policy: sessionPolicy(options, 'connect'),
      report: failures.report,
      onClose: (_endpoint, reason) => this.emit('close', reason),
    });
  }

  /** Whether member access answers synchronously. */
  get sync(): S {
    return this.endpoint.sync as S;
  }

  /** Resolves once the server accepted the handshake; rejects on a version mismatch. */
  get ready(): Promise<void> {
    return this.endpoint.ready;
  }

  get closed(): boolean {
    return this.endpoint.closed;
  }

  /**
   * The module the server serves under `name`: its proxy (sync), or a pipelined result (async):
   * `await remote.require('os')` gives the proxy, and `remote.require('os').platform()` is one
   * round trip.
   */
  require<T = any>(name: string): Loaded<S, T> {
    if (typeof name !== 'string') throw new TypeError('require: name must be a string');
    return this.endpoint.call({ op: 'require', name }) as Loaded<S, T>;
  }

  /** The global the server serves under `name` (objects as proxies, primitives as values). */
  getGlobal<T = any>(name: string): Loaded<S, T> {
    if (typeof name !== 'string') throw new TypeError('getGlobal: name must be a string');
    return this.endpoint.call({ op: 'global', name }) as Loaded<S, T>;
  }

  /** Writes a member of a remote object and gives the outcome (the server must allow writes). */
  set(proxy: object, key: string, value: unknown): Result<S, void> {
    const info = proxyInfo(proxy);
    if (info === undefined || info.host !== this.endpoint) {
      throw new TypeError('set: proxy must be a remote object of this session');
    }
    if (typeof key !== 'string') throw new TypeError('set: key must be a string');
    forgetMethod(info, key);
    return this.endpoint.perform(info.record, { op: 'set', path: [key], value }) as Result<S, void>;
  }

  /** Ends the session; every proxy of it stops working and the server releases what it held. */
  close(): void {
    this.endpoint.close();
  }

  /**
   * Lets the process (or worker) exit while this session is open, as `socket.unref()` does: an
   * open client otherwise keeps its thread alive, like any open port or socket. Returns this.
   */
  unref(): this {
    this.endpoint.transport.unref?.();
    return this;
  }

  /** Undoes `unref()`: the open session keeps its thread alive again. Returns this. */
  ref(): this {
    this.endpoint.transport.ref?.();
    return this;
  }

  stats(): ClientStats {
    const s = this.endpoint.stats();
    const c = this.endpoint.counters();
    return {
      proxies: s.proxies,
      pendingFrees: s.pendingFrees,
      proxiesCreated: c.proxiesCreated,
      freeMessagesSent: c.freeMessagesSent,
      exportedObjects: s.objects,
      pendingCalls: s.pendingCalls,
      pendingPromises: s.pendingPromises,
      dropped: this.endpoint.droppedMessages,
    };
  }
}

/**
 * Opens a session over `transport`. Sync mode performs the handshake before returning and throws
 * on a version mismatch; async mode reports it through `ready` and the first requests.
 */
export function connect(transport: Transport, options: ConnectOptions & { sync: true }): RemoteClient<true>;
export function connect(transport: Transport, options?: ConnectOptions & { sync?: false }): RemoteClient<false>;
export function connect(transport: Transport, options?: ConnectOptions): RemoteClient;
export function connect(transport: Transport, options: ConnectOptions = {}): RemoteClient {
  if (typeof transport !== 'object' || transport === null || typeof transport.start !== 'function') {
    throw new TypeError('connect: transport must be a Transport');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('connect: options must be an object');
  }
  if (options.sync !== undefined && typeof options.sync !== 'boolean') {
    throw new TypeError('connect: options.sync must be a boolean');
  }
  if (options.cacheMethods !== undefined && typeof options.cacheMethods !== 'boolean') {
    throw new TypeError('connect: options.cacheMethods must be a boolean');
  }
  if (options.sync === true && typeof transport.requestSync !== 'function') {
    throw new TypeError(`connect: options.sync needs a transport with requestSync; "${transport.kind}" has none`);
  }
  sessionPolicy(options, 'connect');
  return new RemoteClient(transport, options);
}
