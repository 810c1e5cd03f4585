/**
 * The serving side: what a peer may reach (default-deny) and the sessions currently open.
 */
import { deniedError } from './errors';
import { Endpoint, type EndpointStats } from './endpoint';
import type { Transport } from './transport';

export interface RemoteServerOptions {
  /** What `remote.require(name)` may return: a factory per name, called once. Nothing else is reachable. */
  readonly modules?: { readonly [name: string]: () => object };
  /** What `remote.getGlobal(name)` may return. Objects go by reference. */
  readonly globals?: { readonly [name: string]: unknown };
  /**
   * Lets peers read and write `__proto__`, `constructor`, `prototype` and members inherited from
   * `Object.prototype` / `Function.prototype`. Off by default: those lead to escapes such as
   * `proxy.constructor.constructor('return process')()`.
   */
  readonly allowPrototypeAccess?: boolean;
}

export interface ServerStats {
  /** Open sessions. */
  sessions: number;
  /** Live registry entries, summed over sessions (an object sent to two peers counts twice). */
  objects: number;
  /** Sum of outstanding send counts. */
  references: number;
}

/** One peer being served. */
export class RemoteSession {
  /** @internal */
  constructor(private readonly endpoint: Endpoint) {}

  /** Ends the session: the peer is told, everything it held is released. Idempotent. */
  close(): void {
    this.endpoint.close();
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

  /** Messages dropped because they were malformed and had no request id to answer. */
  get dropped(): number {
    return this.endpoint.dropped;
  }

  get freeMessagesReceived(): number {
    return this.endpoint.counters().freeMessagesReceived;
  }
}

function isObjectMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class RemoteServer {
  private readonly modules: ReadonlyMap<string, () => object>;
  private readonly globals: ReadonlyMap<string, unknown>;
  private readonly loaded = new Map<string, object>();
  private readonly sessions = new Set<Endpoint>();
  private readonly allowPrototypeAccess: boolean;

  constructor(options: RemoteServerOptions = {}) {
    if (!isObjectMap(options)) throw new TypeError('RemoteServer: options must be an object');
    const { modules = {}, globals = {}, allowPrototypeAccess = false } = options;
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
    // Copied into Maps so later changes to the options, or their prototypes, change nothing.
    this.modules = new Map(Object.entries(modules) as Array<[string, () => object]>);
    this.globals = new Map(Object.entries(globals));
    this.allowPrototypeAccess = allowPrototypeAccess === true;
  }

  /** Serves one peer over `transport` until either side closes it. */
  serve(transport: Transport): RemoteSession {
    if (typeof transport !== 'object' || transport === null || typeof transport.start !== 'function') {
      throw new TypeError('RemoteServer.serve: transport must be a Transport');
    }
    const endpoint = new Endpoint(transport, {
      role: 'server',
      sync: false,
      allowPrototypeAccess: this.allowPrototypeAccess,
      resolveModule: (name) => this.module(name),
      resolveGlobal: (name) => {
        if (!this.globals.has(name)) {
          throw deniedError(`Global ${JSON.stringify(name)} is not served`);
        }
        return this.globals.get(name);
      },
      onClose: (closed) => this.sessions.delete(closed),
    });
    if (!endpoint.closed) this.sessions.add(endpoint);
    return new RemoteSession(endpoint);
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
