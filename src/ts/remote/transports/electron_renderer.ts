/**
 * The renderer end of the Electron transports: `ipcRenderer`, usually in a preload script. It
 * has `requestSync` (through `ipcRenderer.sendSync`), so sync mode works; Electron's sendSync
 * cannot time out, so a request waits until the main process answers or goes away.
 */
import { Error } from '../builtins';
import { protocolError } from '../errors';
import type { Transport, WireMessage } from '../transport';
import {
  assertEmitter,
  channelOf,
  nonceOf,
  parseEnvelope,
  randomNonce,
  type ElectronTransportOptions,
  type Envelope,
  type SyncAnswer,
} from './electron_envelope';
import { BaseTransport, isWireMessage, unencodableError } from './kit';

/** Whether structured clone copies `value` (where it is not there to ask, assume it does). */
function clones(value: unknown): boolean {
  const clone = (globalThis as { structuredClone?: (value: unknown) => unknown }).structuredClone;
  if (clone === undefined) return true;
  try {
    clone(value);
    return true;
  } catch {
    return false;
  }
}

/** The part of Electron's `ipcRenderer` the renderer transport uses. */
export interface ElectronIpcRendererLike {
  send(channel: string, ...args: any[]): void;
  /** Present in every renderer; a transport without it has no `requestSync` (async mode only). */
  sendSync?(channel: string, ...args: any[]): any;
  on(channel: string, listener: (event: any, ...args: any[]) => void): unknown;
  removeListener(channel: string, listener: (...args: any[]) => void): unknown;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

class ElectronRendererTransport extends BaseTransport {
  readonly kind = 'electron-renderer';
  readonly binary = true;
  readonly clone = true;
  readonly requestSync?: (message: WireMessage) => WireMessage;
  private readonly nonce = randomNonce();
  private opened = false;

  constructor(
    private readonly ipcRenderer: ElectronIpcRendererLike,
    private readonly channel: string,
  ) {
    super();
    if (typeof ipcRenderer.sendSync === 'function') this.requestSync = this.sendSync;
  }

  protected override begin(): void {
    this.ipcRenderer.on(this.channel, this.onEnvelope);
    this.opened = true;
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
      this.finish(asError(error));
      return;
    }
    if (result?.k !== 'ok') {
      const why = result?.k === 'error' ? result.e : 'no answer';
      this.finish(new Error(`the main process refused the weakwire connection: ${why}`));
    }
  }

  protected write(message: WireMessage): void {
    this.ipcRenderer.send(this.channel, { k: 'msg', n: this.nonce, m: message } satisfies Envelope);
  }

  private readonly sendSync = (message: WireMessage): WireMessage => {
    if (this.isClosed) throw new Error('electron-renderer transport is closed');
    const envelope: Envelope = { k: 'sync', n: this.nonce, m: message };
    let result: SyncAnswer | undefined;
    try {
      result = this.ipcRenderer.sendSync!(this.channel, envelope) as SyncAnswer | undefined;
    } catch (error) {
      // Electron clones the envelope before it sends anything: one structured clone refuses too
      // was never sent, and fails alone (the session may send it another way).
      if (!clones(envelope)) throw unencodableError(this.kind, error);
      // The request may or may not have reached main: the session cannot be trusted any more.
      this.finish(asError(error));
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

  protected override goodbye(): void {
    if (this.opened) this.ipcRenderer.send(this.channel, { k: 'close', n: this.nonce } satisfies Envelope);
  }

  protected release(): void {
    this.ipcRenderer.removeListener(this.channel, this.onEnvelope);
  }

  private readonly onEnvelope = (_event: unknown, raw: unknown): void => {
    const envelope = parseEnvelope(raw);
    if (!envelope) {
      if (nonceOf(raw) === this.nonce) {
        this.problem(protocolError(`${this.kind} transport: dropped a malformed envelope from the main process`));
      }
      return;
    }
    if (envelope.n !== this.nonce) return;
    if (envelope.k === 'msg') this.deliver(envelope.m!);
    else if (envelope.k === 'close') {
      this.finish(
        envelope.e === undefined ? undefined : new Error(`the main process refused the weakwire connection: ${envelope.e}`),
      );
    }
  };
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
