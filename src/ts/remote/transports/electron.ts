/**
 * Transports over Electron IPC: `ipcMain` + a `webContents` in the main process, `ipcRenderer`
 * in a renderer (usually its preload script). Electron is typed structurally here; this package
 * never imports or depends on `electron`.
 *
 * Everything travels on one IPC channel (default `"weakwire"`) as small envelopes:
 *   renderer -> main   send(channel, { k: 'open' | 'msg' | 'close', n, m? })
 *   renderer -> main   sendSync(channel, { k: 'open' | 'sync', n, m? })
 *                      -> returnValue { k: 'ok' } | { k: 'reply', m } | { k: 'error', e }
 *   main -> renderer   webContents.send(channel, { k: 'msg' | 'close', n, m?, e? })
 * (`e` on a close from main: why the renderer was refused, for renderers opened without sendSync)
 * `n` is a random nonce the renderer picks per transport: it tells one page load from the next in
 * the same webContents, so a reloaded page never receives its predecessor's messages and the
 * predecessor's session is closed (its proxies died with the page, no FREE will ever come).
 *
 * In the main process one listener per (ipcMain, channel) routes envelopes to transports by
 * (webContents id, nonce), and answers every synchronous request nobody owns with an error:
 * Electron leaves a renderer blocked in `sendSync` forever if no one sets `returnValue`.
 *
 * One connection per page and channel, from the page's main frame: a new 'open' from a
 * webContents means its page was replaced (the frame id cannot tell: it changes when a
 * navigation swaps the renderer process), and subframes are refused because `webContents.send`
 * only reaches the main frame.
 */
import { randomBytes } from 'node:crypto';
import type { Transport, TransportHandlers, WireMessage } from '../transport';

/** The part of Electron's `WebContents` the main transport uses. */
export interface ElectronWebContentsLike {
  readonly id: number;
  send(channel: string, ...args: any[]): void;
  isDestroyed(): boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}

/** The part of Electron's `IpcMainEvent` the main transport uses. */
export interface ElectronIpcMainEventLike {
  readonly sender: ElectronWebContentsLike;
  /** The sending frame; a subframe (one with a parent) is refused. May be null or missing. */
  readonly senderFrame?: { readonly parent: unknown } | null;
  /** Setting it answers the renderer's `sendSync`. */
  returnValue: any;
}

/** The part of Electron's `ipcMain` the main transport uses. */
export interface ElectronIpcMainLike {
  on(channel: string, listener: (event: ElectronIpcMainEventLike, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (...args: any[]) => void): unknown;
}

/** The part of Electron's `ipcRenderer` the renderer transport uses. */
export interface ElectronIpcRendererLike {
  send(channel: string, ...args: any[]): void;
  /** Present in every renderer; a transport without it has no `requestSync` (async mode only). */
  sendSync?(channel: string, ...args: any[]): any;
  on(channel: string, listener: (event: any, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (...args: any[]) => void): unknown;
}

export interface ElectronTransportOptions {
  /** The IPC channel name; main and renderer must agree. Default `"weakwire"`. */
  channel?: string;
}

type Kind = 'open' | 'msg' | 'sync' | 'close';

interface Envelope {
  k: Kind;
  n: string;
  m?: WireMessage;
  e?: string;
}

type SyncAnswer = { k: 'ok' } | { k: 'reply'; m: WireMessage } | { k: 'error'; e: string };

const KINDS: ReadonlySet<unknown> = new Set(['open', 'msg', 'sync', 'close']);
const NONCE = /^[0-9a-f]{32}$/;

function isWireMessage(value: unknown): value is WireMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEnvelope(value: unknown): Envelope | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { k, n, m } = value as { k?: unknown; n?: unknown; m?: unknown };
  if (!KINDS.has(k) || typeof n !== 'string' || !NONCE.test(n)) return undefined;
  if ((k === 'msg' || k === 'sync') && !isWireMessage(m)) return undefined;
  const e = (value as { e?: unknown }).e;
  return { k: k as Kind, n, m: m as WireMessage | undefined, e: typeof e === 'string' ? e : undefined };
}

function channelOf(options: ElectronTransportOptions | undefined): string {
  if (options === undefined) return 'weakwire';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const channel = options.channel ?? 'weakwire';
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('options.channel must be a non-empty string');
  }
  return channel;
}

function assertEmitter(value: unknown, name: string, methods: string[]): void {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new TypeError(`${name} must be an object with ${methods.join(', ')} methods`);
}

// ---------------------------------------------------------------------------------------------
// Main process

/** Routing key of a bound transport: the page (webContents) and the renderer's nonce. */
function routeKey(webContentsId: number, nonce: string): string {
  return `${webContentsId}/${nonce}`;
}

function fromSubframe(event: ElectronIpcMainEventLike): boolean {
  const frame = event.senderFrame;
  return typeof frame === 'object' && frame !== null && frame.parent != null;
}

type Acceptor = (transport: Transport, webContents: ElectronWebContentsLike) => void;

/** The single ipcMain listener for one channel; routes envelopes to transports. */
class MainRouter {
  /** Transports bound to a renderer, by routeKey(webContents id, nonce). */
  readonly bound = new Map<string, ElectronMainTransport>();
  /** Transports created for a webContents, waiting for its renderer's 'open'. */
  readonly unbound = new Map<number, Set<ElectronMainTransport>>();
  /** The one acceptElectronRenderers callback on this channel, if any. */
  acceptor: Acceptor | undefined;
  private listening = false;

  constructor(
    private readonly ipcMain: ElectronIpcMainLike,
    readonly channel: string,
    private readonly release: () => void,
  ) {}

  retain(): void {
    if (this.listening) return;
    this.listening = true;
    this.ipcMain.on(this.channel, this.onEnvelope);
  }

  /** Stops listening once nobody needs this channel. */
  maybeRelease(): void {
    if (this.bound.size > 0 || this.unbound.size > 0 || this.acceptor) return;
    if (this.listening) this.ipcMain.removeListener(this.channel, this.onEnvelope);
    this.listening = false;
    this.release();
  }

  private readonly onEnvelope = (event: ElectronIpcMainEventLike, raw: unknown): void => {
    const sender = event?.sender;
    if (typeof sender !== 'object' || sender === null || typeof sender.id !== 'number') return;
    const envelope = parseEnvelope(raw);
    const synchronous = raw !== null && typeof raw === 'object' && 'k' in raw && isSyncKind(raw);
    if (!envelope) {
      if (synchronous) answer(event, { k: 'error', e: 'malformed weakwire envelope' });
      return;
    }
    const owner = this.bound.get(routeKey(sender.id, envelope.n));
    if (owner) {
      owner.receive(event, envelope);
      return;
    }
    if (envelope.k === 'open') {
      this.open(event, envelope);
      return;
    }
    if (envelope.k === 'sync') {
      answer(event, { k: 'error', e: 'no weakwire session for this renderer: it was closed' });
    }
  };

  private open(event: ElectronIpcMainEventLike, envelope: Envelope): void {
    if (fromSubframe(event)) {
      answer(event, { k: 'error', e: 'weakwire serves the main frame of a page, not subframes' });
      return;
    }
    const page = event.sender.id;
    // A new page in this webContents: the previous page's session can never hear from its
    // proxies again.
    for (const transport of [...this.bound.values()]) {
      if (transport.webContents.id === page) {
        transport.fail(new Error('the renderer page was reloaded or navigated away'));
      }
    }
    const waiting = this.unbound.get(page);
    let transport: ElectronMainTransport | undefined;
    if (waiting && waiting.size > 0) {
      transport = waiting.values().next().value!;
      this.unbindWaiting(transport);
      transport.bind(envelope.n);
    } else if (this.acceptor) {
      transport = new ElectronMainTransport(this, event.sender);
      transport.bind(envelope.n);
      try {
        this.acceptor(transport, event.sender);
      } catch (error) {
        // Refuse this renderer rather than throw out of ipcMain's emit.
        transport.fail(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (transport && !transport.isClosed) {
      answer(event, { k: 'ok' });
      return;
    }
    const why = 'the main process does not serve weakwire to this renderer';
    answer(event, { k: 'error', e: why });
    // A renderer that opened with send (no sendSync) reads no returnValue: tell it this way too.
    try {
      event.sender.send(this.channel, { k: 'close', n: envelope.n, e: why } satisfies Envelope);
    } catch {
      // The webContents is gone: nobody to tell.
    }
  }

  addWaiting(transport: ElectronMainTransport): void {
    const id = transport.webContents.id;
    let set = this.unbound.get(id);
    if (!set) this.unbound.set(id, (set = new Set()));
    set.add(transport);
    this.retain();
  }

  unbindWaiting(transport: ElectronMainTransport): void {
    const id = transport.webContents.id;
    const set = this.unbound.get(id);
    if (!set) return;
    set.delete(transport);
    if (set.size === 0) this.unbound.delete(id);
  }

  forget(transport: ElectronMainTransport): void {
    this.unbindWaiting(transport);
    if (transport.nonce !== undefined) {
      const key = routeKey(transport.webContents.id, transport.nonce);
      if (this.bound.get(key) === transport) this.bound.delete(key);
    }
    this.maybeRelease();
  }
}

function isSyncKind(raw: object): boolean {
  const k = (raw as { k?: unknown }).k;
  return k === 'sync' || k === 'open';
}

/** Answers a sendSync (harmless for an async send: the renderer never reads it). */
function answer(event: ElectronIpcMainEventLike, value: SyncAnswer): void {
  try {
    event.returnValue = value;
  } catch {
    // A webContents destroyed meanwhile: nobody is waiting any more.
  }
}

const routers = new WeakMap<ElectronIpcMainLike, Map<string, MainRouter>>();

function routerFor(ipcMain: ElectronIpcMainLike, channel: string): MainRouter {
  let byChannel = routers.get(ipcMain);
  if (!byChannel) routers.set(ipcMain, (byChannel = new Map()));
  let router = byChannel.get(channel);
  if (!router) {
    const table = byChannel;
    router = new MainRouter(ipcMain, channel, () => table.delete(channel));
    byChannel.set(channel, router);
  }
  return router;
}

class ElectronMainTransport implements Transport {
  readonly kind = 'electron-main';
  nonce: string | undefined;
  private handlers: TransportHandlers | undefined;
  private early: Array<{ message: WireMessage; reply?: (answer: WireMessage) => void }> = [];
  /** Messages sent before the renderer said hello: we do not know its nonce yet. */
  private outbox: WireMessage[] = [];
  /** Synchronous requests whose renderer is still blocked waiting for the answer. */
  private readonly unanswered = new Set<ElectronIpcMainEventLike>();
  private closed = false;
  private closeError: Error | undefined;
  private closeReported = false;

  constructor(
    private readonly router: MainRouter,
    readonly webContents: ElectronWebContentsLike,
  ) {
    webContents.on('destroyed', this.onDestroyed);
    webContents.on('render-process-gone', this.onGone);
    if (webContents.isDestroyed()) this.fail(new Error('the webContents is already destroyed'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  bind(nonce: string): void {
    this.nonce = nonce;
    this.router.bound.set(routeKey(this.webContents.id, nonce), this);
    this.router.retain();
    const outbox = this.outbox;
    this.outbox = [];
    for (const message of outbox) this.send(message);
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers) throw new Error('electron-main transport: start() was already called');
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const { message, reply } of early) {
      if (this.closed) break;
      handlers.message(message, reply);
    }
    if (this.closed) this.reportClose();
  }

  send(message: WireMessage): void {
    if (this.closed) throw new Error('electron-main transport is closed');
    if (this.nonce === undefined) {
      this.outbox.push(message);
      return;
    }
    this.webContents.send(this.router.channel, { k: 'msg', n: this.nonce, m: message });
  }

  close(): void {
    if (this.closed) return;
    if (this.nonce !== undefined && !this.webContents.isDestroyed()) {
      try {
        this.webContents.send(this.router.channel, { k: 'close', n: this.nonce });
      } catch {
        // Destroyed at this very moment: the renderer is gone anyway.
      }
    }
    this.finish(undefined);
  }

  /** An envelope from our renderer. */
  receive(event: ElectronIpcMainEventLike, envelope: Envelope): void {
    if (this.closed) return;
    switch (envelope.k) {
      case 'msg':
        this.deliver(envelope.m!);
        return;
      case 'sync': {
        this.unanswered.add(event);
        this.deliver(envelope.m!, (reply: WireMessage) => {
          if (!this.unanswered.delete(event)) {
            throw new Error('electron-main transport: reply() called twice or after close');
          }
          answer(event, { k: 'reply', m: reply });
        });
        return;
      }
      case 'open':
        answer(event, { k: 'ok' });
        return;
      case 'close':
        this.finish(undefined);
        return;
    }
  }

  fail(error: Error): void {
    this.finish(error);
  }

  private deliver(message: WireMessage, reply?: (answer: WireMessage) => void): void {
    if (this.handlers) this.handlers.message(message, reply);
    else this.early.push({ message, reply });
  }

  private readonly onDestroyed = (): void => {
    this.finish(new Error(`webContents ${this.webContents.id} was destroyed`));
  };

  private readonly onGone = (_event: unknown, details?: { reason?: string; exitCode?: number }): void => {
    const reason = details?.reason ?? 'unknown reason';
    const code = details?.exitCode === undefined ? '' : `, exit code ${details.exitCode}`;
    this.finish(new Error(`the renderer process of webContents ${this.webContents.id} is gone (${reason}${code})`));
  };

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.outbox = [];
    // A renderer blocked in sendSync waits until someone answers: never leave one hanging.
    for (const event of this.unanswered) {
      answer(event, { k: 'error', e: error ? `session closed: ${error.message}` : 'session closed' });
    }
    this.unanswered.clear();
    this.early = [];
    this.webContents.removeListener('destroyed', this.onDestroyed);
    this.webContents.removeListener('render-process-gone', this.onGone);
    this.router.forget(this);
    if (this.handlers) this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported || !this.handlers) return;
    this.closeReported = true;
    this.handlers.close(this.closeError);
  }
}

/**
 * A main-process transport to the renderer of one `webContents`. Create it before the renderer
 * connects (for example right after creating the window); it binds to the first renderer
 * transport that opens from that webContents. It closes when the webContents is destroyed, its
 * renderer process is gone, or its page is reloaded or replaced by one that connects again.
 */
export function electronMainTransport(
  ipcMain: ElectronIpcMainLike,
  webContents: ElectronWebContentsLike,
  options?: ElectronTransportOptions,
): Transport {
  assertEmitter(ipcMain, 'ipcMain', ['on', 'removeListener']);
  assertEmitter(webContents, 'webContents', ['send', 'isDestroyed', 'on', 'removeListener']);
  if (typeof webContents.id !== 'number') throw new TypeError('webContents.id must be a number');
  const router = routerFor(ipcMain, channelOf(options));
  const transport = new ElectronMainTransport(router, webContents);
  if (!transport.isClosed) router.addWaiting(transport);
  return transport;
}

/**
 * Serves every renderer that connects on the channel: each renderer transport that opens gets a
 * fresh main transport, handed to `onTransport` (typically `(t) => server.serve(t)`). A reloaded
 * page gets a new transport and its predecessor's closes. One acceptor per channel; if
 * `onTransport` throws, that renderer is refused. Returns a function that stops accepting (open
 * sessions stay open).
 */
export function acceptElectronRenderers(
  ipcMain: ElectronIpcMainLike,
  onTransport: (transport: Transport, webContents: ElectronWebContentsLike) => void,
  options?: ElectronTransportOptions,
): () => void {
  assertEmitter(ipcMain, 'ipcMain', ['on', 'removeListener']);
  if (typeof onTransport !== 'function') throw new TypeError('onTransport must be a function');
  const router = routerFor(ipcMain, channelOf(options));
  if (router.acceptor) {
    // Two acceptors would both start the same transport: one server per channel.
    throw new Error(
      `acceptElectronRenderers: channel "${router.channel}" already has an acceptor; stop it first`,
    );
  }
  const acceptor: Acceptor = (transport, webContents) => onTransport(transport, webContents);
  router.acceptor = acceptor;
  router.retain();
  return () => {
    if (router.acceptor !== acceptor) return;
    router.acceptor = undefined;
    router.maybeRelease();
  };
}

// ---------------------------------------------------------------------------------------------
// Renderer process

class ElectronRendererTransport implements Transport {
  readonly kind = 'electron-renderer';
  readonly requestSync?: (message: WireMessage) => WireMessage;
  private readonly nonce = randomNonce();
  private handlers: TransportHandlers | undefined;
  private closed = false;
  private closeError: Error | undefined;
  private closeReported = false;

  constructor(
    private readonly ipcRenderer: ElectronIpcRendererLike,
    private readonly channel: string,
  ) {
    if (typeof ipcRenderer.sendSync === 'function') this.requestSync = this.sendSync;
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers) throw new Error('electron-renderer transport: start() was already called');
    this.handlers = handlers;
    if (this.closed) {
      this.reportClose();
      return;
    }
    this.ipcRenderer.on(this.channel, this.onEnvelope);
    const open: Envelope = { k: 'open', n: this.nonce };
    if (!this.ipcRenderer.sendSync) {
      this.ipcRenderer.send(this.channel, open);
      return;
    }
    // Opening synchronously tells us at once whether the main process serves this renderer.
    // (If nothing in main listens on the channel at all, Electron blocks here for good: set up
    // the main side before any renderer connects.)
    let result: SyncAnswer | undefined;
    try {
      result = this.ipcRenderer.sendSync(this.channel, open) as SyncAnswer | undefined;
    } catch (error) {
      this.finish(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (result?.k !== 'ok') {
      const why = result?.k === 'error' ? result.e : 'no answer';
      this.finish(new Error(`the main process refused the weakwire connection: ${why}`));
    }
  }

  send(message: WireMessage): void {
    if (this.closed) throw new Error('electron-renderer transport is closed');
    this.ipcRenderer.send(this.channel, { k: 'msg', n: this.nonce, m: message } satisfies Envelope);
  }

  private readonly sendSync = (message: WireMessage): WireMessage => {
    if (this.closed) throw new Error('electron-renderer transport is closed');
    const envelope: Envelope = { k: 'sync', n: this.nonce, m: message };
    let result: SyncAnswer | undefined;
    try {
      result = this.ipcRenderer.sendSync!(this.channel, envelope) as SyncAnswer | undefined;
    } catch (error) {
      // The request may or may not have reached main: the session cannot be trusted any more.
      this.finish(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (result?.k === 'reply' && isWireMessage(result.m)) return result.m;
    const error = new Error(
      result?.k === 'error'
        ? `the main process rejected a synchronous request: ${result.e}`
        : 'the main process gave a malformed answer to a synchronous request',
    );
    this.finish(error);
    throw error;
  };

  close(): void {
    if (this.closed) return;
    if (this.handlers) {
      try {
        this.ipcRenderer.send(this.channel, { k: 'close', n: this.nonce } satisfies Envelope);
      } catch {
        // The main process cannot be told; it notices when the page goes away.
      }
    }
    this.finish(undefined);
  }

  private readonly onEnvelope = (_event: unknown, raw: unknown): void => {
    if (this.closed) return;
    const envelope = parseEnvelope(raw);
    if (!envelope || envelope.n !== this.nonce) return;
    if (envelope.k === 'msg') this.handlers!.message(envelope.m!);
    else if (envelope.k === 'close') {
      this.finish(
        envelope.e === undefined
          ? undefined
          : new Error(`the main process refused the weakwire connection: ${envelope.e}`),
      );
    }
  };

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.ipcRenderer.removeListener(this.channel, this.onEnvelope);
    if (this.handlers) this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported || !this.handlers) return;
    this.closeReported = true;
    this.handlers.close(this.closeError);
  }
}

function randomNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * A renderer-side transport over `ipcRenderer` (use it in a preload script, or in a renderer with
 * Node integration). It has `requestSync` (through `ipcRenderer.sendSync`), so sync mode works.
 * It opens when started and fails at once if the main process does not serve the channel.
 */
export function electronRendererTransport(
  ipcRenderer: ElectronIpcRendererLike,
  options?: ElectronTransportOptions,
): Transport {
  assertEmitter(ipcRenderer, 'ipcRenderer', ['send', 'on', 'removeListener']);
  return new ElectronRendererTransport(ipcRenderer, channelOf(options));
}
