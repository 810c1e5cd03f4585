/**
 * One protocol message as bytes and back, for transports that carry bytes (streams, WebSocket).
 *
 * The bytes are MessagePack. Binary data inside a message (`Uint8Array`, `Buffer`) travels as
 * MessagePack `bin`, raw, so a frame is about as long as the data it carries.
 *
 * Encoding uses msgpackr (measured fastest on our messages, bench/NOTES.md), loaded on the first
 * frame so that sessions on other transports never pay for it. Decoding does not: msgpackr's
 * decoder keeps process-wide extension tables (one of which builds any global class named by the
 * peer) and recurses as deep as the input nests. Ours reads only the subset a message needs
 * (nil, booleans, numbers, strings, bin, arrays, maps with string keys, and the one extension
 * msgpackr writes for `undefined`), refuses everything else, walks the input without recursion,
 * never allocates more items than there are bytes left to fill them, and defines every key as an
 * own property (a `__proto__` key never sets a prototype, no inherited setter runs).
 *
 * No Node.js built-ins: the same file runs in browsers. `Uint8Array` in, `Uint8Array` out.
 */
import { Array, Map, Object, TextDecoder, TypeError, Uint8Array } from '../builtins';
import { protocolError } from '../errors';
import { defineOwnKey, prototypeKeys } from './own_key';
import { vouchPlainFrame } from './plain_frames';
import type { LostMessage, WireMessage } from '../transport';

/**
 * Containers nested inside one frame, at most. A message nests about three containers per level
 * of a copied value (a tagged record, its entry list, one entry), and `maxDepth` may be set as
 * high as 100,000 levels; the walk keeps its own stack, so the bound costs no call stack.
 */
export const MAX_FRAME_DEPTH = 3 * 100_000 + 64;

interface Packer {
  pack(value: unknown, options?: number): Uint8Array;
  useBuffer(buffer: Uint8Array): void;
  position: number;
}

/**
 * Memory a transport lends the encoder for its frames, so that a large frame is written into
 * memory already in use rather than fresh pages (for a megabyte, the fresh pages cost twice the
 * copy). `used` bytes from the start hold frames the transport has not given back yet; the
 * encoder writes after them and moves `used` past what it wrote.
 */
export interface FrameArena {
  readonly bytes: Uint8Array;
  used: number;
}

/**
 * What msgpackr's module-wide target is left pointing to after writing into an arena, so that
 * no later `pack` (ours or anyone's in this process) writes into memory the arena will hand out
 * again. It is shorter than the room msgpackr wants before a value, so msgpackr never writes
 * into it: the next `pack` starts in a new buffer of its own.
 */
const PARKED = new Uint8Array(1024);

let packer: Packer | undefined;
/** msgpackr's flag asking `pack` to leave room (the low byte says how much) before the value. */
let reserveStart = 0;

function getPacker(): Packer {
  if (packer === undefined) {
    // Loaded on first use: msgpackr costs start-up time a session on a message port never needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const msgpackr = require('msgpackr') as typeof import('msgpackr');
    // Plain MessagePack only: no records, no shared structures, no typed-array extensions (a
    // Uint8Array is `bin`); `undefined` is msgpackr's fixext 0, which decodeFrame reads.
    packer = new msgpackr.Packr({ useRecords: false, moreTypes: false, structuredClone: false, variableMapSize: true });
    reserveStart = msgpackr.RESERVE_START_SPACE;
  }
  return packer;
}

function checkMessage(message: WireMessage): void {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new TypeError('message must be an object');
  }
}

/**
 * Encodes one protocol message as bytes (the payload of one frame, without a length prefix).
 * The bytes are a view that stays valid: later frames never overwrite it.
 * @throws TypeError when `message` is not a plain object.
 */
export function encodeFrame(message: WireMessage): Uint8Array {
  checkMessage(message);
  return getPacker().pack(message);
}

/**
 * Like `encodeFrame`, with `room` bytes (at most 255) left free before the payload, for a
 * transport's own header: the header is written in place instead of copying the payload. With an
 * `arena`, the frame is written into it when it fits (then `arena.used` grows past it), else
 * into memory of its own.
 */
export function encodeFrameAfter(message: WireMessage, room: number, arena?: FrameArena): Uint8Array {
  checkMessage(message);
  const pack = getPacker();
  if (arena === undefined) return pack.pack(message, reserveStart | room);
  pack.useBuffer(arena.bytes);
  pack.position = arena.used;
  let frame: Uint8Array;
  try {
    frame = pack.pack(message, reserveStart | room);
  } finally {
    pack.useBuffer(PARKED);
  }
  // A frame that did not fit is in memory msgpackr allocated, which the arena does not own.
  if (frame.buffer === arena.bytes.buffer) arena.used = frame.byteOffset - arena.bytes.byteOffset + frame.length;
  return frame;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/**
 * Binary values this long, at least half their frame, are returned as views of an `owned` frame
 * instead of copies: the copy was a third of an echo's cost for a megabyte. Only then: a small
 * view would keep a whole large frame alive.
 */
const VIEW_BYTES = 64 * 1024;
/** Array items allocated before they are read, at most. */
const PREALLOCATE = 65_536;
/**
 * ASCII strings up to this many bytes are read by hand and shared through a small cache: a
 * message repeats the same short keys and tags thousands of times, and one string per repeat
 * was most of the decoding time (in the garbage collector). The cache holds only strings, at
 * most CACHE_SIZE of them: a peer can fill it, not grow it.
 */
const SHORT_STRING = 16;
const CACHE_SIZE = 4096;
const cache: Array<string | undefined> = new Array(CACHE_SIZE);
/**
 * One array of char codes per short length, refilled for each string that misses the cache:
 * `String.fromCharCode.apply` over a small array of numbers is much faster than over a
 * `subarray` of the frame (a new view object per string).
 */
const codes: number[][] = Array.from({ length: SHORT_STRING + 1 }, (_, n) => new Array<number>(n).fill(0));

/**
 * The bytes of one large binary value, cut out of a frame by the transport that joined it (see
 * `largeBinaryAt`): the frame is `bytes[0, at)`, then `hole`, then `bytes[at, …)`. The hole is a
 * Uint8Array over the whole of an ArrayBuffer that nothing else holds.
 */
export interface FrameHole {
  readonly at: number;
  readonly bytes: Uint8Array;
}

/** Thrown inside decodeFrame when a frame with a hole is read other than as that one value. */
const HOLE_MISSED = Symbol('hole missed');

class Reader {
  /** Where the next value starts, counted in the whole frame (a hole's bytes included). */
  private position = 0;
  private readonly view: DataView;
  /** The whole frame's length, a hole's bytes included. */
  private readonly length: number;
  private readonly holeAt: number;
  private readonly holeEnd: number;
  /** A binary value was left as a view of the frame (see `binary`). */
  viewed = false;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly owned: boolean,
    private readonly hole: FrameHole | undefined,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const holeBytes = hole === undefined ? 0 : hole.bytes.length;
    this.length = bytes.length + holeBytes;
    this.holeAt = hole === undefined ? this.length : hole.at;
    this.holeEnd = this.holeAt + holeBytes;
  }

  get left(): number {
    return this.length - this.position;
  }

  get done(): boolean {
    return this.position === this.length;
  }

  /** Takes `count` bytes; returns where they start in `bytes`. */
  private need(count: number): number {
    if (count > this.length - this.position) {
      throw protocolError(`Malformed frame: it ends inside a value (${count} bytes needed at byte ${this.position})`);
    }
    const at = this.position;
    this.position += count;
    if (at + count <= this.holeAt) return at;
    if (at >= this.holeEnd) return at - (this.holeEnd - this.holeAt);
    // Bytes that are (partly) in the hole, read as anything but the one value it holds.
    throw HOLE_MISSED;
  }

  byte(): number {
    return this.bytes[this.need(1)];
  }

  uint16(): number {
    return this.view.getUint16(this.need(2));
  }

  uint32(): number {
    return this.view.getUint32(this.need(4));
  }

  /** A 64-bit integer as the nearest number (the protocol checks ids are safe integers). */
  uint64(): number {
    const at = this.need(8);
    return this.view.getUint32(at) * 2 ** 32 + this.view.getUint32(at + 4);
  }

  int64(): number {
    const at = this.need(8);
    return this.view.getInt32(at) * 2 ** 32 + this.view.getUint32(at + 4);
  }

  int(width: 1 | 2 | 4): number {
    const at = this.need(width);
    return width === 1 ? this.view.getInt8(at) : width === 2 ? this.view.getInt16(at) : this.view.getInt32(at);
  }

  float32(): number {
    return this.view.getFloat32(this.need(4));
  }

  float64(): number {
    return this.view.getFloat64(this.need(8));
  }

  string(length: number): string {
    const at = this.need(length);
    const bytes = this.bytes;
    if (length <= SHORT_STRING) {
      let hash = length;
      let i = 0;
      const chars = codes[length];
      for (; i < length; i++) {
        const code = bytes[at + i];
        if (code >= 0x80) break;
        chars[i] = code;
        hash = (Math.imul(hash, 31) + code) | 0;
      }
      if (i === length) {
        const slot = hash & (CACHE_SIZE - 1);
        const cached = cache[slot];
        if (cached !== undefined && cached.length === length) {
          let same = 0;
          while (same < length && cached.charCodeAt(same) === bytes[at + same]) same++;
          if (same === length) return cached;
        }
        const text = String.fromCharCode.apply(null, chars);
        cache[slot] = text;
        return text;
      }
    }
    try {
      return utf8.decode(bytes.subarray(at, at + length));
    } catch {
      throw protocolError(`Malformed frame: a string at byte ${at} is not valid UTF-8`);
    }
  }

  /**
   * `length` raw bytes, copied: the value must not keep the whole frame alive, nor change if the
   * frame's memory is used again. A view when the frame is owned and the bytes are most of it.
   */
  binary(length: number): Uint8Array {
    if (this.position === this.holeAt && length === this.holeEnd - this.holeAt && length > 0) {
      // Memory of its own (see FrameHole): neither a view of the frame nor a copy.
      this.position += length;
      return this.hole!.bytes;
    }
    const at = this.need(length);
    const bytes = this.bytes;
    if (this.owned && length >= VIEW_BYTES && length * 2 >= bytes.length) {
      this.viewed = true;
      return new Uint8Array(bytes.buffer, bytes.byteOffset + at, length);
    }
    // Not `slice`: on a Buffer it is a view.
    const copy = new Uint8Array(length);
    copy.set(this.bytes.subarray(at, at + length));
    return copy;
  }

  /** Passes over `count` bytes, whatever they hold (a hole's included). */
  skip(count: number): void {
    if (count > this.length - this.position) throw protocolError('Malformed frame: it ends inside a value');
    this.position += count;
  }

  /** A container's item count, checked against the bytes left (each item takes at least one). */
  count(count: number, perItem: number): number {
    if (count * perItem > this.left) {
      throw protocolError(`Malformed frame: ${count} items announced, but only ${this.left} bytes are left`);
    }
    return count;
  }
}

/** Values `largeBinaryAt` reads before it gives up: a message's large value comes early. */
const SCAN_VALUES = 64;

/**
 * Where the data of a binary value that `decodeFrame` would lend from an owned frame (see
 * `binary`) starts in a frame of `frameLength` bytes, as far as `prefix` (its first bytes) shows;
 * undefined when the prefix holds no such value within its first SCAN_VALUES values, or is not
 * well-formed. A transport joining a frame from chunks copies that value's bytes into memory of
 * their own (a `FrameHole`) instead of into the frame. Only a hint: `decodeFrame` reads the frame
 * as it is, whatever the prefix claims.
 */
export function largeBinaryAt(prefix: Uint8Array, frameLength: number): { at: number; length: number } | undefined {
  let position = 0;
  /** Values still to read before the walk is out of containers. */
  let pending = 1;
  for (let scanned = 0; scanned < SCAN_VALUES && pending > 0; scanned++) {
    if (position >= prefix.length) return undefined;
    const head = prefix[position++];
    pending--;
    /** Bytes of the value after its header; for bin, its length. */
    let skip = 0;
    let width = 0;
    if (head <= 0x7f || head >= 0xe0 || head === 0xc0 || head === 0xc2 || head === 0xc3) skip = 0;
    else if (head <= 0x8f) pending += 2 * (head & 0x0f);
    else if (head <= 0x9f) pending += head & 0x0f;
    else if (head <= 0xbf) skip = head & 0x1f;
    else {
      switch (head) {
        case 0xc4:
        case 0xd9:
          width = 1;
          break;
        case 0xc5:
        case 0xda:
          width = 2;
          break;
        case 0xc6:
        case 0xdb:
          width = 4;
          break;
        case 0xca:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
        case 0xd4:
          skip = 2;
          break;
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xdc:
        case 0xdd:
        case 0xde:
        case 0xdf: {
          const size = readLength(prefix, position, head === 0xdc || head === 0xde ? 2 : 4);
          if (size === undefined) return undefined;
          position += head === 0xdc || head === 0xde ? 2 : 4;
          pending += head >= 0xde ? 2 * size : size;
          break;
        }
        default:
          return undefined;
      }
      if (width > 0) {
        const length = readLength(prefix, position, width);
        if (length === undefined) return undefined;
        position += width;
        if (head <= 0xc6 && length >= VIEW_BYTES && length * 2 >= frameLength && position + length <= frameLength) {
          return { at: position, length };
        }
        skip = length;
      }
    }
    position += skip;
  }
  return undefined;
}

/** A big-endian length of `width` bytes at `at`, if the prefix holds it. */
function readLength(prefix: Uint8Array, at: number, width: number): number | undefined {
  if (at + width > prefix.length) return undefined;
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + prefix[at + i];
  return value;
}

/** What a header byte opened, if anything. */
const OPEN_ARRAY = 1;
const OPEN_MAP = 2;

/**
 * Decodes the bytes of one frame into a protocol message (an object; its fields are validated
 * later, like any message). `owned`: the caller gives the bytes away (nothing else holds or will
 * ever write their memory), so a large binary value may be a view of them rather than a copy.
 * `hole` (owned frames only): the bytes of one binary value were cut out of the frame, into
 * memory of their own, and that value is decoded as that memory. A frame that reads the hole's
 * bytes any other way is decoded as the whole frame put back together.
 * @throws RemoteError ERR_REMOTE_PROTOCOL for bytes that are not exactly one MessagePack map in
 * the subset a message uses.
 */
export function decodeFrame(bytes: Uint8Array, owned = false, hole?: FrameHole): WireMessage {
  // By tag, not instanceof: a Buffer or a Uint8Array of another realm is as good.
  if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') throw new TypeError('bytes must be a Uint8Array');
  if (hole === undefined) return decodeBytes(new Reader(bytes, owned, undefined));
  if (!owned || hole.at > bytes.length || hole.bytes.length === 0) throw new TypeError('a hole needs an owned frame');
  try {
    return decodeBytes(new Reader(bytes, true, hole));
  } catch (error) {
    if (error !== HOLE_MISSED) throw error;
  }
  // A frame (a peer's, made so) that reads the hole's bytes otherwise: read it whole instead.
  const whole = new Uint8Array(bytes.length + hole.bytes.length);
  whole.set(bytes.subarray(0, hole.at));
  whole.set(hole.bytes, hole.at);
  whole.set(bytes.subarray(hole.at), hole.at + hole.bytes.length);
  return decodeBytes(new Reader(whole, true, undefined));
}

function decodeBytes(reader: Reader): WireMessage {
  // What a key the peer chose may not be assigned (it would set the prototype or run a setter):
  // nothing but this decoder runs until it returns, so the set taken now holds throughout.
  const reserved = prototypeKeys();
  // The container being filled is held in locals, the ones around it in parallel stacks: no
  // object per container, and no recursion however deep the input nests.
  const targets: Array<unknown[] | { [key: string]: unknown }> = [];
  const counts: number[] = [];
  const indexes: number[] = [];
  const keys: Array<string | undefined> = [];
  let target: unknown[] | { [key: string]: unknown } | undefined;
  let isMap = false;
  /** Items (for a map: entries) still to read into `target`. */
  let remaining = 0;
  let index = 0;
  /** For a map: the key whose value comes next, or undefined while a key is due. */
  let key: string | undefined;
  let result: unknown;
  /** The deepest container opened, counting the message as 1. */
  let deepest = 0;
  /** Array slots this frame may still allocate before their items arrive (see below). */
  let unsized = reader.left;
  // Each turn reads one value: a scalar is stored at once, a container is opened and filled by
  // the turns that follow; a filled container is stored in its parent.
  for (;;) {
    let value: unknown;
    let opens = 0;
    let size = 0;
    const head = reader.byte();
    if (head <= 0x7f) value = head;
    else if (head >= 0xe0) value = head - 0x100;
    else if (head <= 0x8f) {
      opens = OPEN_MAP;
      size = head & 0x0f;
    } else if (head <= 0x9f) {
      opens = OPEN_ARRAY;
      size = head & 0x0f;
    } else if (head <= 0xbf) value = reader.string(head & 0x1f);
    else {
      switch (head) {
        case 0xc0:
          value = null;
          break;
        case 0xc2:
          value = false;
          break;
        case 0xc3:
          value = true;
          break;
        case 0xc4:
          value = reader.binary(reader.byte());
          break;
        case 0xc5:
          value = reader.binary(reader.uint16());
          break;
        case 0xc6:
          value = reader.binary(reader.uint32());
          break;
        case 0xca:
          value = reader.float32();
          break;
        case 0xcb:
          value = reader.float64();
          break;
        case 0xcc:
          value = reader.byte();
          break;
        case 0xcd:
          value = reader.uint16();
          break;
        case 0xce:
          value = reader.uint32();
          break;
        case 0xcf:
          value = reader.uint64();
          break;
        case 0xd0:
          value = reader.int(1);
          break;
        case 0xd1:
          value = reader.int(2);
          break;
        case 0xd2:
          value = reader.int(4);
          break;
        case 0xd3:
          value = reader.int64();
          break;
        case 0xd4:
          // fixext 1 of type 0 holding 0: how msgpackr writes undefined. No other extension.
          if (reader.byte() !== 0 || reader.byte() !== 0) throw protocolError('Malformed frame: unknown extension');
          value = undefined;
          break;
        case 0xd9:
          value = reader.string(reader.byte());
          break;
        case 0xda:
          value = reader.string(reader.uint16());
          break;
        case 0xdb:
          value = reader.string(reader.uint32());
          break;
        case 0xdc:
          opens = OPEN_ARRAY;
          size = reader.uint16();
          break;
        case 0xdd:
          opens = OPEN_ARRAY;
          size = reader.uint32();
          break;
        case 0xde:
          opens = OPEN_MAP;
          size = reader.uint16();
          break;
        case 0xdf:
          opens = OPEN_MAP;
          size = reader.uint32();
          break;
        default:
          throw protocolError(`Malformed frame: type byte 0x${head.toString(16)} is not allowed in a message`);
      }
    }
    if (opens !== 0) {
      if (target === undefined && opens !== OPEN_MAP) throw protocolError('Malformed frame: a message must be a map');
      if (targets.length >= MAX_FRAME_DEPTH) {
        throw protocolError(`Malformed frame: containers nested more than ${MAX_FRAME_DEPTH} deep`);
      }
      const depth = target === undefined ? 1 : targets.length + 2;
      if (depth > deepest) deepest = depth;
      const opensMap = opens === OPEN_MAP;
      const count = reader.count(size, opensMap ? 2 : 1);
      // Sized up front only within a bound: a peer's count costs memory only as items arrive.
      // The bound is per frame too: each of many nested arrays may announce PREALLOCATE items
      // with the bytes left, which the items of all of them share; a real frame's arrays hold
      // fewer items than it has bytes.
      let opened: unknown[] | { [key: string]: unknown };
      if (opensMap) opened = {};
      else if (count <= PREALLOCATE && count <= unsized) {
        unsized -= count;
        opened = new Array<unknown>(count);
      } else opened = [];
      if (count > 0) {
        if (target !== undefined) {
          targets.push(target);
          counts.push(remaining);
          indexes.push(isMap ? 0 : index);
          keys.push(key);
        }
        target = opened;
        isMap = opensMap;
        remaining = count;
        index = 0;
        key = undefined;
        continue;
      }
      value = opened;
    } else if (target === undefined) {
      throw protocolError('Malformed frame: a message must be a map');
    }
    // Store the finished value, closing every container it completes.
    for (;;) {
      if (target === undefined) {
        result = value;
        break;
      }
      if (!isMap) {
        (target as unknown[])[index++] = value;
      } else if (key === undefined) {
        if (typeof value !== 'string') throw protocolError('Malformed frame: a map key is not a string');
        key = value;
        break;
      } else {
        if (reserved.has(key)) defineOwnKey(target as { [key: string]: unknown }, key, value);
        else (target as { [key: string]: unknown })[key] = value;
        key = undefined;
      }
      if (--remaining > 0) break;
      value = target;
      if (targets.length === 0) {
        target = undefined;
        continue;
      }
      target = targets.pop()!;
      remaining = counts.pop()!;
      index = indexes.pop()!;
      key = keys.pop();
      isMap = !Array.isArray(target);
    }
    if (target === undefined) break;
  }
  if (!reader.done) throw protocolError(`Malformed frame: ${reader.left} bytes follow the message`);
  if (!reader.viewed) vouchPlainFrame(result as object, deepest);
  return result as WireMessage;
}

/**
 * What a frame `decodeFrame` refused (same `bytes` and `hole`) still says about itself, so that
 * the request it carried can be answered, or our request it answered failed, instead of waiting
 * for a timeout: its top-level map's `op`, `seq`, `id` and `keep`, every other value passed over
 * unread whatever its kind (extensions, maps with any keys), without recursion and in steps
 * bounded by the bytes. Undefined when the bytes are not one well-formed MessagePack map with a
 * string `op`.
 */
export function frameHead(bytes: Uint8Array, hole?: FrameHole): LostMessage | undefined {
  try {
    return readHead(new Reader(bytes, false, hole));
  } catch {
    return undefined;
  }
}

function readHead(reader: Reader): LostMessage | undefined {
  const head = reader.byte();
  let entries = head >= 0x80 && head <= 0x8f ? head & 0x0f : head === 0xde ? reader.uint16() : head === 0xdf ? reader.uint32() : -1;
  if (entries < 0) return undefined;
  let op: string | undefined;
  let seq = 0;
  let id = 0;
  let keep = false;
  for (; entries > 0; entries--) {
    const key = scalarOrSkip(reader);
    const value = scalarOrSkip(reader);
    if (key === 'op' && typeof value === 'string') op = value;
    else if (key === 'seq' && typeof value === 'number' && value > 0) seq = value;
    else if (key === 'id' && typeof value === 'number' && value > 0) id = value;
    else if (key === 'keep' && value === true) keep = true;
  }
  return op !== undefined && reader.done ? { op, seq, id, keep } : undefined;
}

/** The next value if it is a short string, a number or true; else passes over it. */
function scalarOrSkip(reader: Reader): string | number | boolean | undefined {
  const head = reader.byte();
  if (head <= 0x7f) return head;
  if (head >= 0xa0 && head <= 0xbf) return reader.string(head & 0x1f);
  switch (head) {
    case 0xc3:
      return true;
    case 0xca:
      return reader.float32();
    case 0xcb:
      return reader.float64();
    case 0xcc:
      return reader.byte();
    case 0xcd:
      return reader.uint16();
    case 0xce:
      return reader.uint32();
    case 0xcf:
      return reader.uint64();
    case 0xd0:
      return reader.int(1);
    case 0xd1:
      return reader.int(2);
    case 0xd2:
      return reader.int(4);
    case 0xd3:
      return reader.int64();
    case 0xd9:
      return reader.string(reader.byte());
    default:
      skipValue(reader, head);
      return undefined;
  }
}

/** Bytes after the head byte, for the MessagePack types of fixed size: numbers, fixext 1-16. */
const FIXED_SIZES: ReadonlyMap<number, number> = new Map([
  [0xca, 4], [0xcb, 8], [0xcc, 1], [0xcd, 2], [0xce, 4], [0xcf, 8], [0xd0, 1], [0xd1, 2], [0xd2, 4], [0xd3, 8],
  [0xd4, 2], [0xd5, 3], [0xd6, 5], [0xd7, 9], [0xd8, 17],
]);

/** Passes over the value whose first byte `head` was read, containers and all. */
function skipValue(reader: Reader, head: number): void {
  /** Values still to pass over, this one included; each takes at least one byte. */
  let pending = 1;
  for (;;) {
    pending--;
    const fixed = FIXED_SIZES.get(head);
    if (head <= 0x7f || head >= 0xe0 || head === 0xc0 || head === 0xc2 || head === 0xc3) {
      // The whole value is its head.
    } else if (head <= 0x8f) pending += 2 * (head & 0x0f);
    else if (head <= 0x9f) pending += head & 0x0f;
    else if (head <= 0xbf) reader.skip(head & 0x1f);
    else if (fixed !== undefined) reader.skip(fixed);
    // bin and str 8/16/32: a length, the bytes; ext 8/16/32: a length, a type byte, the data.
    else if (head === 0xc4 || head === 0xd9) reader.skip(reader.byte());
    else if (head === 0xc5 || head === 0xda) reader.skip(reader.uint16());
    else if (head === 0xc6 || head === 0xdb) reader.skip(reader.uint32());
    else if (head === 0xc7) reader.skip(reader.byte() + 1);
    else if (head === 0xc8) reader.skip(reader.uint16() + 1);
    else if (head === 0xc9) reader.skip(reader.uint32() + 1);
    else if (head === 0xdc) pending += reader.uint16();
    else if (head === 0xdd) pending += reader.uint32();
    else if (head === 0xde) pending += 2 * reader.uint16();
    else if (head === 0xdf) pending += 2 * reader.uint32();
    else throw protocolError(`Malformed frame: type byte 0x${head.toString(16)} is not MessagePack`);
    if (pending === 0) return;
    if (pending > reader.left) throw protocolError('Malformed frame: more values announced than bytes left');
    head = reader.byte();
  }
}
