/**
 * What the Electron transports share: the IPC envelope both ends speak, and option checks.
 * Electron is typed structurally; this package never imports or depends on `electron`.
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
 */
import { Set, TypeError, Uint8Array } from '../builtins';
import type { WireMessage } from '../transport';
import { isWireMessage } from './kit';

export interface ElectronTransportOptions {
  /** The IPC channel name; main and renderer must agree. Default `"weakwire"`. */
  channel?: string;
}

export type EnvelopeKind = 'open' | 'msg' | 'sync' | 'close';

export interface Envelope {
  k: EnvelopeKind;
  n: string;
  m?: WireMessage;
  e?: string;
}

/** The answer to a renderer's sendSync, set as the event's returnValue by main. */
export type SyncAnswer = { k: 'ok' } | { k: 'reply'; m: WireMessage } | { k: 'error'; e: string };

const KINDS: ReadonlySet<unknown> = new Set(['open', 'msg', 'sync', 'close']);
const NONCE = /^[0-9a-f]{32}$/;

/** The envelope in `value`, or undefined for anything that is not a well-formed one. */
export function parseEnvelope(value: unknown): Envelope | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { k, n, m, e } = value as { k?: unknown; n?: unknown; m?: unknown; e?: unknown };
  if (!KINDS.has(k) || typeof n !== 'string' || !NONCE.test(n)) return undefined;
  if ((k === 'msg' || k === 'sync') && !isWireMessage(m)) return undefined;
  return { k: k as EnvelopeKind, n, m: m as WireMessage | undefined, e: typeof e === 'string' ? e : undefined };
}

/**
 * The nonce a raw value that is not a well-formed envelope still names, if it names one: then
 * the transport it belongs to can report it as a lost message.
 */
export function nonceOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const n = (raw as { n?: unknown }).n;
  return typeof n === 'string' && NONCE.test(n) ? n : undefined;
}

/** Whether a raw envelope asks for a synchronous answer (so one must be given, even to junk). */
export function isSyncRequest(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const k = (raw as { k?: unknown }).k;
  return k === 'sync' || k === 'open';
}

/** A fresh nonce: 16 random bytes as hex, from Web Crypto (Node, Electron, browsers). */
export function randomNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

export function channelOf(options: ElectronTransportOptions | undefined): string {
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

export function assertEmitter(value: unknown, name: string, methods: string[]): void {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new TypeError(`${name} must be an object with ${methods.join(', ')} methods`);
}
