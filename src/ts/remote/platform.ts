/**
 * What the remote layer takes from its host, in one place: value type checks, the event emitter
 * its clients, sessions and servers are, the symbol `util.inspect` reads, the Proxy constructor
 * its proxies are made with, a next-turn scheduler and base64 bytes. This is the Node.js version
 * (node:util, node:events, Buffer); bundlers building for browsers get platform.browser.ts
 * instead (package.json "browser"), which exports the same names.
 */
import {
  ArrayBuffer,
  Proxy as HostProxy,
  clearImmediate as hostClearImmediate,
  setImmediate as hostSetImmediate,
} from './builtins';

export { types } from 'node:util';
export { EventEmitter } from 'node:events';

/** The key `util.inspect` (and `console.log` in Node.js) reads a custom label from. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/**
 * The constructor of every proxy the remote layer makes. Here the host's own: `types.isProxy`
 * recognizes any proxy. (The browser version records the proxies it makes, since a page has no
 * way to tell a proxy from its target.)
 */
export const Proxy: ProxyConstructor = HostProxy;

/** A handle `clearImmediate` takes. */
export type Immediate = NodeJS.Immediate;
/** Runs `task` on the next turn of the event loop. */
export const setImmediate: (task: () => void) => Immediate = hostSetImmediate;
export const clearImmediate: (handle: Immediate) => void = hostClearImmediate;

/** `bytes` as base64 text. */
export function toBase64(bytes: ArrayBufferView | ArrayBuffer): string {
  const view =
    bytes instanceof ArrayBuffer ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.toString('base64');
}

/** Base64 text as bytes; characters outside the alphabet are skipped, as Node.js does. */
export function fromBase64(text: string): Uint8Array {
  return Buffer.from(text, 'base64');
}

/** Whether `value` is a Node.js Buffer (sent as one, so it arrives as one). */
export function isBuffer(value: unknown): value is Uint8Array {
  return Buffer.isBuffer(value);
}

/** A Buffer over the same memory as `bytes`, no copy (`bytes` itself where there is no Buffer). */
export function bufferOver(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Buffer holding a copy of `bytes` (a Uint8Array where there is no Buffer). */
export function toBuffer(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}
