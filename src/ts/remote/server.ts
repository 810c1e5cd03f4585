/**
 * The serving side: what a peer may reach (default-deny) and the sessions currently open.
 */
import { Array, Error, Map, Object, Promise, Set, TypeError } from './builtins';
import { EventEmitter } from './platform';
import { deniedError } from './errors';
import { Endpoint, type EndpointStats } from './endpoint';
import { FailureChannel } from './failures';
import { sessionPolicy, type SessionOptions, type SessionPolicy } from './session_options';
import type { Transport } from './transport';

export interface RemoteServerOptions extends SessionOptions {
  /** What `remote.require(name)` may return: a factory per name, called once. Nothing else is reachable. */
  readonly modules?: { readonly [name: string]: () => object };
  /** What `remote.getGlobal(name)` may return. Objects go by reference. */
  readonly globals?: { readonly [name: string]: unknown };
}

export interface ServerStats {
  /** Open sessions. */
  sessions: number;
  /** Live registry entries, summed over sessions (an object sent to two peers counts twice). */
  objects: number;
  /** Sum of outstanding send counts. */
  references: number;
}

export interface RemoteSession {
  /** A failure nobody awaited; without a listener here it goes to the server's, else a warning. */
  on(event: 'error', listener: (error: Error) => void): this;
  /** The session ended; `reason` says why. */
  on(event: 'close', listener: (reason: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * One peer being served. An EventEmitter: `'error'` carries failures nobody awaited (a client
 * callback that threw while nobody awaited it, a callback of a closed session, a message the
 * transport lost), `'close'` the end of the session.
 */
export class RemoteSession extends EventEmitter {
  private readonly endpoint: Endpoint;

  /** @internal */
  constructor(
    transport: Transport,
    server: RemoteServer,
    options: {
      policy: SessionPolicy;
      resolveModule: (name: string) => object;
      resolveGlobal: (name: string) => unknown;
      onClose: (session: RemoteSession) => void;
    },
  ) {
    super();
    const failures = new FailureChannel([{ emitter: this }, { emitter: server, extra: [this] }]);
    this.endpoint = new Endpoint(transport, {
      role: 'server',
      sync: false,
      policy: options.policy,
      resolveModule: options.resolveModule,
      resolveGlobal: options.resolveGlobal,
      report: failures.report,
      onClose: (_endpoint, reason) => {
        options.onClose(this);
        this.emit('close', reason);
      },
    });
  }

  /** Ends the session: the peer is told, everything it held is released. Idempotent. */
  close(): void {
    this.endpoint.close();
  }

  /** Lets the process (or worker) exit while this session is open (see `RemoteClient.unref`). */
  unref(): this {
    this.endpoint.transport.unref?.();
    return this;
  }

  /** Undoes `unref()`. */
  ref(): this {
    this.endpoint.transport.ref?.();
    return this;
  }

  get closed(): boolean {
    return this.endpoint.closed;
  }

  /** Resolves once the peer's HELLO was accepted. */
  get ready(): Promise<void> {
    return this.endpoint.ready;
  }

  /** This session's share of the registry, plus its proxies, queued FREEs and pending work. */
  stats(): ServerStats & Omit<EndpointStats, 'objects' | 'references'> {
    return { sessions: this.closed ? 0 : 1, ...this.endpoint.stats() };
  }

  /** Messages dropped: malformed, late or unknown answers, lost by the transport. */
  get dropped(): number {
    return this.endpoint.droppedMessages;
  }

  get freeMessagesReceived(): number {
    return this.endpoint.counters().freeMessagesReceived;
  }
}

function isObjectMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface RemoteServer {
  /** A failure of a session that has no 'error' listener of its own. */
  on(event: 'error', listener: (error: Error, session: RemoteSession) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * Serves modules and globals to peers, default-deny. An EventEmitter: `'error'` receives the
 * failures of sessions that have no `'error'` listener of their own.
 */
export class RemoteServer extends EventEmitter {
  private readonly modules: ReadonlyMap<string, () => object>;
  private readonly globals: ReadonlyMap<string, unknown>;
  private readonly loaded = new Map<string, object>();
  private readonly sessions = new Set<RemoteSession>();
  private readonly policy: SessionPolicy;

  constructor(options: RemoteServerOptions = {}) {
    super();
    if (!isObjectMap(options)) throw new TypeError('RemoteServer: options must be an object');
    const { modules = {}, globals = {} } = options;
    if (!isObjectMap(modules)) {
      throw new TypeError('RemoteServer: options.modules must be an object of factories');
    }
    if (!isObjectMap(globals)) {
      throw new TypeError('RemoteServer: options.globals must be an object');
    }
    for (const [name, factory] of Object.entries(modules)) {
      if (typeof factory !== 'function') {
        throw new TypeError(`RemoteServer: options.modules.${name} must be a function returning the module`);
      }
    }
    this.policy = sessionPolicy(options, 'RemoteServer');
    // Copied into Maps so later changes to the options, or their prototypes, change nothing.
    this.modules = new Map(Object.entries(modules) as Array<[string, () => object]>);
    this.globals = new Map(Object.entries(globals));
  }

  /** Serves one peer over `transport` until either side closes it. */
  serve(transport: Transport): RemoteSession {
    if (typeof transport !== 'object' || transport === null || typeof transport.start !== 'function') {
      throw new TypeError('RemoteServer.serve: transport must be a Transport');
    }
    const session = new RemoteSession(transport, this, {
      policy: this.policy,
      resolveModule: (name) => this.module(name),
      resolveGlobal: (name) => {
        if (!this.globals.has(name)) {
          throw deniedError(`Global ${JSON.stringify(name)} is not served`);
        }
        return this.globals.get(name);
      },
      onClose: (closed) => this.sessions.delete(closed),
    });
    if (!session.closed) this.sessions.add(session);
    return session;
  }

  private module(name: string): object {
    const loaded = this.loaded.get(name);
    if (loaded !== undefined) return loaded;
    const factory = this.modules.get(name);
    if (factory === undefined) throw deniedError(`Module ${JSON.stringify(name)} is not served`);
    const value = factory();
    if ((typeof value !== 'object' || value === null) && typeof value !== 'function') {
      throw new TypeError(`Module ${JSON.stringify(name)}: its factory returned ${typeof value}, not an object`);
    }
    this.loaded.set(name, value);
    return value;
  }

  stats(): ServerStats {
    let objects = 0;
    let references = 0;
    for (const session of this.sessions) {
      const s = session.stats();
      objects += s.objects;
      references += s.references;
    }
    return { sessions: this.sessions.size, objects, references };
  }

  /** Closes every session. */
  close(): void {
    for (const session of [...this.sessions]) session.close();
  }
}
