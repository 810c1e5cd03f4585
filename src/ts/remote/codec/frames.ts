/**
 * One protocol message as the bytes of one binary frame, and back.
 *
 * PLACEHOLDER (branch browser): JSON text in UTF-8. The transport-speed work (issue 12, branch
 * speed2) replaces this file with a binary encoding under the same two names; the WebSocket
 * transport depends only on these signatures.
 */
import { JSON, TextDecoder, Uint8Array } from '../builtins';
import { protocolError } from '../errors';
import type { WireMessage } from '../transport';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** `message` as the bytes of one frame. Throws for a message that cannot be encoded. */
export function encodeFrame(message: WireMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** The message one frame holds. Throws ERR_REMOTE_PROTOCOL for bytes that are not one. */
export function decodeFrame(bytes: Uint8Array): WireMessage {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw protocolError('a frame that is not a protocol message (not UTF-8 JSON) was dropped');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolError('a frame that is not a protocol message (not a JSON object) was dropped');
  }
  return value as WireMessage;
}
