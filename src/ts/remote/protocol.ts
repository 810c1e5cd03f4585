/**
 * Wire-level constants and validators shared by both peers. See docs/protocol.md.
 */
import type { WireMessage } from './transport';

export const PROTOCOL_NAME = 'weakwire-remote';
/** Bumped on any incompatible change to messages or value encoding. */
export const PROTOCOL_VERSION = 1;

/** Operations a peer may ask the other to perform; each carries a `seq` and gets one answer. */
export const REQUEST_OPS = new Set(['hello', 'get', 'set', 'call', 'new', 'require', 'global']);

/**
 * What a keyed `call`/`new` with `expect` yields when the member is no longer the function the
 * caller expected: the peer did not call it, and answers `{ op: 'result', seq, stale: true }`.
 */
export const STALE: unique symbol = Symbol('weakwire.staleMember');

/** Object, promise and request ids: positive safe integers, nothing else. */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A non-array, non-null object: what every message and tagged value must be. */
export function isRecord(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** A short literal for error messages: "text", 12, true, or a description of anything else. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeValue(value);
}

export type Message = WireMessage;
