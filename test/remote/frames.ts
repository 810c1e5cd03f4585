/**
 * Stream frames written and read by hand, for peers the tests play: a 4-byte big-endian length,
 * then the message as MessagePack (what the stream transport writes).
 */
import { decodeFrame } from '../../src/ts/remote/codec/frames';

/** A frame around `payload`, whatever its bytes. */
export function frameOf(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** A MessagePack header for `count` items or bytes: the fix form, else 8-, 16- or 32-bit. */
function head(bytes: number[], count: number, fix: number, fixMax: number, w8: number, w16: number, w32: number): void {
  if (count <= fixMax) bytes.push(fix | count);
  else if (w8 !== 0 && count < 0x100) bytes.push(w8, count);
  else if (count < 0x10000) bytes.push(w16, count >> 8, count & 0xff);
  else bytes.push(w32, (count >>> 24) & 0xff, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff);
}

/**
 * MessagePack of a JSON value, written without recursion so that nesting of any depth can be
 * sent (the transport's own encoder recurses, like JSON.stringify).
 */
export function msgpackOfJson(json: string): Buffer {
  const bytes: number[] = [];
  const work: unknown[] = [JSON.parse(json)];
  while (work.length > 0) {
    const value = work.pop();
    if (value === null) bytes.push(0xc0);
    else if (value === true) bytes.push(0xc3);
    else if (value === false) bytes.push(0xc2);
    else if (typeof value === 'number') {
      const b = Buffer.alloc(9);
      b[0] = 0xcb;
      b.writeDoubleBE(value, 1);
      bytes.push(...b);
    } else if (typeof value === 'string') {
      const s = Buffer.from(value);
      head(bytes, s.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
      for (const byte of s) bytes.push(byte);
    } else if (Array.isArray(value)) {
      head(bytes, value.length, 0x90, 15, 0, 0xdc, 0xdd);
      for (let i = value.length - 1; i >= 0; i--) work.push(value[i]);
    } else {
      const entries = Object.entries(value as object);
      head(bytes, entries.length, 0x80, 15, 0, 0xde, 0xdf);
      for (let i = entries.length - 1; i >= 0; i--) work.push(entries[i][1], entries[i][0]);
    }
  }
  return Buffer.from(bytes);
}

/** A frame holding the message written as JSON text. */
export function frameOfJson(json: string): Buffer {
  return frameOf(msgpackOfJson(json));
}

/** The message of one whole frame. */
export function messageOfFrame(frame: Uint8Array): any {
  return decodeFrame(frame.subarray(4));
}
