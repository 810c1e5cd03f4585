/**
 * The main-process end of the Electron transports: `ipcMain` plus a `webContents`.
 *
 * One listener per (ipcMain, channel) routes envelopes to transports by (webContents id, nonce),
 * and answers every synchronous request nobody owns with an error: Electron leaves a renderer
 * blocked in `sendSync` forever if no one sets `returnValue`.
 *
 * One connection per page and channel, from the page's main frame: a new 'open' from a
 * webContents means its page was replaced (the frame id cannot tell: it changes when a
 * navigation swaps the renderer process), and subframes are refused because `webContents.send`
 * only reaches the main frame. Electron queues what `webContents.send` sends inside Electron, so
 * there is no send-side backlog here to measure.
 */
import { Error, Map, Set, TypeError, WeakMap } from '../builtins';
import { protocolError } from '../errors';
import type { Transport, WireMessage } from '../transport';
import {
  assertEmitter,
  channelOf,
  isSyncRequest,
  nonceOf,
  parseEnvelope,
  type ElectronTransportOptions,
  type Envelope,
  type SyncAnswer,
} from './electron_envelope';
import { BaseTransport, unencodableError } from './kit';

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
  /**
   * The sending frame: an open from a subframe (one with a parent) or from a frame that is gone
   * (null) is refused. May be missing.
   */
  readonly senderFrame?: { readonly parent: unknown } | null;
  /** Setting it answers the renderer's `sendSync`. */
  returnValue: any;
}

/** The part of Electron's `ipcMain` the main transport uses. */
export interface ElectronIpcMainLike {
  on(channel: string, listener: (event: ElectronIpcMainEventLike, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (...args: any[]) => void): unknown;
}

/** Routing key of a bound transport: the page (webContents) and the renderer's nonce. */
function routeKey(webContentsId: number, nonce: string): string {
  return `${webContentsId}/${nonce}`;
}

/**
 * Why an 'open' from this event's frame is refused, or undefined for a main frame. Electron gives
 * `senderFrame` null when the frame navigated or was destroyed before we read the message: that
 * may have been a subframe, so it is refused too. A missing `senderFrame` (an older Electron) is
 * taken as the main frame.
 */
function frameRefusal(event: ElectronIpcMainEventLike): string | undefined {
  const frame = event.senderFrame;
  if (frame === null) return 'the frame that sent the open is gone (it navigated or was destroyed)';
  if (typeof frame === 'object' && frame.parent != null) return 'weakwire serves the main frame of a page, not subframes';
  return undefined;
}

/** Answers a sendSync (harmless for an async send: the renderer never reads it). */
function answer(event: ElectronIpcMainEventLike, value: SyncAnswer): void {
  try {
    event.returnValue = value;
  } catch {
    // A webContents destroyed meanwhile: nobody is waiting any more.
  }
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
    private readonly forgetRouter: () => void,
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
    this.forgetRouter();
  }

  private readonly onEnvelope = (event: ElectronIpcMainEventLike, raw: unknown): void => {
    const sender = event?.sender;
    if (typeof sender !== 'object' || sender === null || typeof sender.id !== 'number') return;
    const envelope = parseEnvelope(raw);
    if (!envelope) {
      if (isSyncRequest(raw)) answer(event, { k: 'error', e: 'malformed weakwire envelope' });
      const nonce = nonceOf(raw);
      if (nonce !== undefined) this.bound.get(routeKey(sender.id, nonce))?.malformed();
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
    const refusal = frameRefusal(event);
    if (refusal !== undefined) {
      answer(event, { k: 'error', e: refusal });
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

class ElectronMainTransport extends BaseTransport {
  readonly kind = 'electron-main';
  readonly binary = true;
  readonly clone = true;
  nonce: string | undefined;
  /** Messages sent before the renderer said hello: we do not know its nonce yet. */
  private outbox: WireMessage[] = [];
  /** Synchronous requests whose renderer is still blocked waiting for the answer. */
  private readonly unanswered = new Set<ElectronIpcMainEventLike>();

  constructor(
    private readonly router: MainRouter,
    readonly webContents: ElectronWebContentsLike,
  ) {
    super();
    webContents.on('destroyed', this.onDestroyed);
    webContents.on('render-process-gone', this.onGone);
    if (webContents.isDestroyed()) this.fail(new Error('the webContents is already destroyed'));
  }

  bind(nonce: string): void {
    this.nonce = nonce;
    this.router.bound.set(routeKey(this.webContents.id, nonce), this);
    this.router.retain();
    const outbox = this.outbox;
    this.outbox = [];
    for (const message of outbox) {
      try {
        this.send(message);
      } catch (error) {
        // Never out of ipcMain's emit: the session's queued messages are out of step now.
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  protected write(message: WireMessage): void {
    if (this.webContents.isDestroyed()) {
      // Gone before Electron told us: the transport is closed, not this message unencodable.
      this.finish(new Error(`webContents ${this.webContents.id} was destroyed`));
      return;
    }
    if (this.nonce === undefined) {
      // Electron clones a message when it sends it, once the renderer opened: refuse now what
      // it would refuse then, while the sender can still be told (this message alone fails).
      globalThis.structuredClone?.(message);
      this.outbox.push(message);
      return;
    }
    this.webContents.send(this.router.channel, { k: 'msg', n: this.nonce, m: message } satisfies Envelope);
  }

  protected override goodbye(): void {
    if (this.nonce !== undefined && !this.webContents.isDestroyed()) {
      this.webContents.send(this.router.channel, { k: 'close', n: this.nonce } satisfies Envelope);
    }
  }

  protected release(): void {
    this.outbox = [];
    // A renderer blocked in sendSync waits until someone answers: never leave one hanging.
    const why = this.closeError ? `session closed: ${this.closeError.message}` : 'session closed';
    for (const event of this.unanswered) answer(event, { k: 'error', e: why });
    this.unanswered.clear();
    this.webContents.removeListener('destroyed', this.onDestroyed);
    this.webContents.removeListener('render-process-gone', this.onGone);
    this.router.forget(this);
  }

  /** An envelope from our renderer. */
  receive(event: ElectronIpcMainEventLike, envelope: Envelope): void {
    if (this.isClosed) return;
    switch (envelope.k) {
      case 'msg':
        this.deliver(envelope.m!);
        return;
      case 'sync': {
        this.unanswered.add(event);
        this.deliver(envelope.m!, (reply: WireMessage) => {
          if (!this.unanswered.has(event)) return; // answered already, or the session closed
          try {
            event.returnValue = { k: 'reply', m: reply } satisfies SyncAnswer;
          } catch (error) {
            // A webContents destroyed meanwhile: nobody is waiting any more.
            if (this.webContents.isDestroyed()) this.unanswered.delete(event);
            // Else Electron could not clone the answer, and sent nothing: still unanswered, and
            // the session answers again (another way, or with an error).
            else throw unencodableError(this.kind, error);
            return;
          }
          this.unanswered.delete(event);
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

  /** Our renderer sent something that is not a well-formed envelope: it is lost. */
  malformed(): void {
    this.problem(protocolError(`${this.kind} transport: dropped a malformed envelope from its renderer`));
  }

  private readonly onDestroyed = (): void => {
    this.fail(new Error(`webContents ${this.webContents.id} was destroyed`));
  };

  private readonly onGone = (_event: unknown, details?: { reason?: string; exitCode?: number }): void => {
    const reason = details?.reason ?? 'unknown reason';
    const code = details?.exitCode === undefined ? '' : `, exit code ${details.exitCode}`;
    this.fail(new Error(`the renderer process of webContents ${this.webContents.id} is gone (${reason}${code})`));
  };
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
    throw new Error(`acceptElectronRenderers: channel "${router.channel}" already has an acceptor; stop it first`);
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
