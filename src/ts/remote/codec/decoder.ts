/**
 * Value decoding: the encoder's tagged records back into JavaScript values.
 *
 * Everything here comes from the peer and may be crafted: the decoder checks every tag and
 * field, never iterates past a hole (a sparse array of length 2^32 - 1 costs one step), never
 * recurses deeper than `maxDepth` copied levels, and never assigns a key that could change a
 * prototype (`__proto__` becomes an own data property, as structured clone makes it).
 */
import { Array, ArrayBuffer, Error, Map, Number, Object, Promise, Set, Uint8Array } from '../builtins';
import { protocolError, RemoteError } from '../errors';
import { WIRE_LIMITS } from '../limits';
import { describeValue, isId, isRecord } from '../protocol';
import { bufferOver, fromBase64, toBuffer, types } from '../platform';
import { ERRORS, TYPED_ARRAYS } from './kinds';
import { CloneCheck } from './clone_check';
import { setOwnKey } from './own_key';
import { takePlainFrameDepth } from './plain_frames';
import { isForeign } from './realm';
import { incomingStack } from './stacks';

/** What the decoder needs from the session it decodes for. */
export interface DecoderHost {
  /** An object the peer exported (`ref`): the cached proxy, counting this receipt. */
  importRef(id: number, callable: boolean): object;
  /** One of our own exports coming back (`yours`): the original object. */
  lookupExport(id: number): object;
  /** A promise the peer exported: a local promise settled by its `settle` message. */
  importPromise(id: number): Promise<unknown>;
  /** One of our kept answers (`answer`): its value, or a promise of it while pending. */
  answerValue(seq: number): unknown;
  /** Reads a member path of one of our objects under the access policy (a promise: once it settles). */
  readPath(root: unknown, path: readonly string[]): unknown;
}

/** A member path of a marker: 1 to maxPath strings, read item by item (holes refused). */
function pathOf(value: unknown): readonly string[] {
  const items = list(value, 'a member path');
  if (items.length === 0 || items.length > WIRE_LIMITS.maxPath) fail(`a path of 1 to ${WIRE_LIMITS.maxPath} names`, items.length);
  for (let i = 0; i < items.length; i++) {
    if (typeof item(items, i) !== 'string') fail('member names must be strings', items[i]);
  }
  return items as readonly string[];
}

function fail(what: string, value: unknown): never {
  throw protocolError(`Malformed value: ${what} (got ${describeValue(value)})`);
}

const BIGINT = new RegExp(`^-?\\d{1,${WIRE_LIMITS.maxBigIntDigits}}$`);

/** A finite number, or one of the names JSON cannot hold; undefined for anything else. */
function plainNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  switch (value) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    default:
      return undefined;
  }
}

/**
 * A number as the encoder writes it: plain, or one `{ $: 'num', v }` record around a plain one.
 * Never deeper: a chain of records is not a number, and following it would recurse as deep as
 * the peer nests it.
 */
function decodeNumber(value: unknown): number {
  const plain = plainNumber(value);
  if (plain !== undefined) return plain;
  if (isRecord(value) && value.$ === 'num') {
    const inner = plainNumber(value.v);
    if (inner !== undefined) return inner;
  }
  return fail('expected a number', value);
}

/** Binary data: raw bytes (transports that carry them) or base64 text (the others). */
function decodeBytes(value: unknown): Uint8Array {
  if (typeof value === 'string') return fromBase64(value);
  if (types.isUint8Array(value)) {
    const bytes = value as Uint8Array;
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return fail('expected bytes', value);
}

/** An ArrayBuffer of exactly `bytes`: their own one when `owned`, else a copy. */
function ownBuffer(bytes: Uint8Array, owned = false): ArrayBuffer {
  if (owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/** `value` as an array, checked to be one. Its items are read with `item`, which stops at holes. */
function list(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(`expected ${what}`, value);
  return value as unknown[];
}

/**
 * Item `i` of a received array. Encoded values are never undefined (undefined travels as a
 * tag), so undefined means a hole: the array is sparse, and rejecting it here bounds the work by
 * what the peer really sent.
 */
function item(items: readonly unknown[], i: number): unknown {
  const value = items[i];
  if (value === undefined) fail('sparse or undefined array item', value);
  return value;
}

/** `[key, value]` entry `i` of a received entry list. */
function entry(entries: readonly unknown[], i: number): readonly [unknown, unknown] {
  const pair = item(entries, i);
  if (!Array.isArray(pair) || pair.length !== 2) fail('expected [key, value] entries', pair);
  const [key, value] = pair as unknown[];
  if (key === undefined || value === undefined) fail('sparse entry', pair);
  return [key, value];
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') fail('property keys must be strings', key);
  return key as string;
}

/**
 * Members that JavaScript calls on an object by itself: string and number conversion, JSON and
 * `await`. A copied object may hold the peer's functions there (a call of one is a remote call,
 * whose failure is handled), but not one of this side's own functions coming home (`yours`, or a
 * kept answer): the peer could make served code call a served function nobody meant to call, and
 * drop what it returns (a rejected promise nobody handles ends the process).
 */
const IMPLICITLY_CALLED: ReadonlySet<string> = new Set(['then', 'toString', 'valueOf', 'toJSON', 'toLocaleString']);

/** Decodes the values of one message; `dup` indexes refer to objects decoded earlier in it. */
const NONE: readonly number[] = [];

export class Decoder {
  // Made on first use: most messages carry only primitives.
  private table: object[] | undefined;
  private importedIds: number[] | undefined;
  private promiseIds: number[] | undefined;
  private depth = 0;
  /** Checks this message's clone records, made at the first. */
  private clones: CloneCheck | undefined;
  /** Received buffers used without a copy in this message. */
  private usedBuffers: Set<ArrayBufferLike> | undefined;
  /** How deep the message nests, when the frame decoder vouched for it (codec/plain_frames.ts). */
  private frameDepth: number | undefined;

  constructor(
    private readonly host: DecoderHost,
    private readonly maxDepth: number,
    /** Messages come from MessagePack frames (Transport.trees): a clone is a tree. */
    private readonly trees = false,
  ) {}

  /** Says which message the values come from (before decoding them). */
  reads(message: object): void {
    this.frameDepth = this.trees ? takePlainFrameDepth(message) : undefined;
  }

  /** Ids whose receipt this decoder counted, once per receipt: undone if the message is dropped. */
  get imported(): readonly number[] {
    return this.importedIds ?? NONE;
  }

  /** Promise ids this message announced: forgotten again if the message is dropped. */
  get promises(): readonly number[] {
    return this.promiseIds ?? NONE;
  }

  decode(value: unknown): unknown {
    if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
    if (typeof value === 'number') return decodeNumber(value);
    if (!isRecord(value)) return fail('expected a tagged value', value);
    switch (value.$) {
      case 'undef':
        return undefined;
      case 'num':
        return decodeNumber(value.v);
      case 'bigint':
        if (typeof value.v !== 'string' || !BIGINT.test(value.v)) fail('bad bigint', value.v);
        return BigInt(value.v as string);
      case 'dup': {
        const n = value.n;
        const table = this.table ?? [];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= table.length) {
          fail('bad back-reference', n);
        }
        return table[n as number];
      }
      case 'clone':
        return this.decodeClone(value.v);
      case 'array':
        return this.decodeArray(value.v);
      case 'object':
        return this.decodeObject(value.e, value.bare === true);
      case 'date':
        return this.keep(new Date(decodeNumber(value.v)));
      case 'regexp':
        return this.decodeRegExp(value.source, value.flags);
      case 'map':
        return this.decodeMap(value.e);
      case 'set':
        return this.decodeSet(value.v);
      case 'arraybuffer':
        return this.keep(ownBuffer(decodeBytes(value.b), this.owns(value.b)));
      case 'buffer':
        return this.keep(this.owns(value.b, true) ? bufferOver(decodeBytes(value.b)) : toBuffer(decodeBytes(value.b)));
      case 'typed':
        return this.decodeTyped(value.t, value.b);
      case 'error':
        return this.decodeError(value);
      case 'ref': {
        if (!isId(value.id)) fail('bad object id', value.id);
        const proxy = this.host.importRef(value.id as number, value.fn === true);
        (this.importedIds ??= []).push(value.id as number);
        return proxy;
      }
      case 'yours': {
        if (!isId(value.id)) fail('bad object id', value.id);
        const own = this.host.lookupExport(value.id as number);
        // A member of it: the peer passed back a reference to `proxy.a.b`.
        return value.path === undefined ? own : this.host.readPath(own, pathOf(value.path));
      }
      case 'answer': {
        if (!isId(value.seq)) fail('bad answer id', value.seq);
        const answer = this.host.answerValue(value.seq as number);
        return value.path === undefined ? answer : this.host.readPath(answer, pathOf(value.path));
      }
      case 'promise': {
        if (!isId(value.id)) fail('bad promise id', value.id);
        const promise = this.host.importPromise(value.id as number);
        (this.promiseIds ??= []).push(value.id as number);
        return promise;
      }
      default:
        return fail('unknown tag', value.$);
    }
  }

  /** Decodes a list of values (arguments), item by item, refusing holes. */
  decodeList(values: readonly unknown[]): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < values.length; i++) out.push(this.decode(item(values, i)));
    return out;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new RemoteError('ERR_REMOTE_TOO_DEEP', `Malformed value: nested more than ${this.maxDepth} levels deep (maxDepth)`);
    }
  }

  private keep<T extends object>(value: T): T {
    (this.table ??= []).push(value);
    return value;
  }

  private decodeArray(value: unknown): unknown[] {
    const items = list(value, 'an array');
    // Grown in order, so that it is a packed array: one made by `new Array(length)` stays holey
    // when full, and V8 serializes a holey array in its sparse form if the application sends it on.
    const out = this.keep([] as unknown[]);
    this.enter();
    for (let i = 0; i < items.length; i++) out.push(this.decode(item(items, i)));
    this.depth--;
    return out;
  }

  private decodeObject(value: unknown, bare: boolean): object {
    const entries = list(value, 'an entry list');
    const out = this.keep((bare ? Object.create(null) : {}) as Record<string, unknown>);
    this.enter();
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entry(entries, i);
      const name = checkKey(key);
      const member = this.decode(item);
      if (typeof member === 'function' && IMPLICITLY_CALLED.has(name) && isRecord(item) && item.$ !== 'ref') {
        fail(`a copied object's "${name}" is one of your own functions (it would run wherever the object is converted or awaited)`, item);
      }
      setOwnKey(out, name, member);
    }
    this.depth--;
    return out;
  }

  private decodeRegExp(source: unknown, flags: unknown): RegExp {
    if (typeof source !== 'string' || typeof flags !== 'string') fail('bad regexp', source);
    try {
      return this.keep(new RegExp(source as string, flags as string));
    } catch {
      return fail('invalid regexp', source);
    }
  }

  private decodeMap(value: unknown): Map<unknown, unknown> {
    const entries = list(value, 'an entry list');
    const map = this.keep(new Map<unknown, unknown>());
    this.enter();
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entry(entries, i);
      const k = this.decode(key);
      map.set(k, this.decode(item));
    }
    this.depth--;
    return map;
  }

  /**
   * Whether received bytes can be used without a copy: a Uint8Array over the whole of an
   * ordinary ArrayBuffer (fresh from the clone or the frame decoder; never shared memory the peer
   * could still write), used once in this message (a peer could name the same bytes twice).
   * `part`: for a Buffer, which may be a view, at least half of its ArrayBuffer is enough (a
   * large binary value the frame decoder left in its frame); less would keep too much alive.
   */
  private owns(bytes: unknown, part = false): boolean {
    if (!types.isUint8Array(bytes)) return false;
    const view = bytes as Uint8Array;
    const buffer = view.buffer;
    if (!types.isArrayBuffer(buffer)) return false;
    const whole = view.byteOffset === 0 && view.byteLength === buffer.byteLength;
    if (!whole && !(part && view.byteLength * 2 >= buffer.byteLength)) return false;
    this.usedBuffers ??= new Set();
    if (this.usedBuffers.has(buffer)) return false;
    this.usedBuffers.add(buffer);
    return true;
  }

  /** Plain data the peer sent through structured clone: checked, then used as it is. */
  private decodeClone(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) fail('bad clone', value);
    // A plain-tree frame no deeper than the bound: the clone, nested inside it, passes the check
    // as it is (it has no other kind, no hole, no shared part, no view of the frame).
    if (this.frameDepth !== undefined && this.frameDepth <= this.maxDepth) return value;
    // One check per message: parts shared between its clones are checked (and copied) once. The
    // tagged levels over the clone count towards maxDepth with its own.
    this.clones ??= new CloneCheck(this.maxDepth, isForeign(value as object), this.trees);
    return this.clones.value(value, this.depth);
  }

  private decodeSet(value: unknown): Set<unknown> {
    const items = list(value, 'a set');
    const set = this.keep(new Set<unknown>());
    this.enter();
    for (let i = 0; i < items.length; i++) set.add(this.decode(item(items, i)));
    this.depth--;
    return set;
  }

  private decodeTyped(kind: unknown, bytes: unknown): ArrayBufferView {
    if (typeof kind !== 'string' || !Object.hasOwn(TYPED_ARRAYS, kind)) fail('unknown typed array', kind);
    const Ctor = TYPED_ARRAYS[kind as string];
    const owned = this.owns(bytes);
    const data = decodeBytes(bytes);
    const width = (Ctor as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    if (data.length % width !== 0) fail('typed array length', data.length);
    return this.keep(new Ctor(ownBuffer(data, owned)));
  }

  private decodeError(value: { readonly [key: string]: unknown }): Error {
    const name = typeof value.name === 'string' ? value.name : 'Error';
    const message = typeof value.message === 'string' ? value.message : '';
    const Ctor = Object.hasOwn(ERRORS, name) ? ERRORS[name] : Error;
    const error: Error = name === 'RemoteError' ? new RemoteError('ERR_REMOTE_PROTOCOL', message) : new Ctor(message);
    this.keep(error);
    this.enter();
    if (error.name !== name) Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true });
    Object.defineProperty(error, 'stack', {
      value: incomingStack(name, message, typeof value.stack === 'string' ? value.stack : undefined),
      configurable: true,
      writable: true,
    });
    if (value.cause !== undefined) {
      Object.defineProperty(error, 'cause', { value: this.decode(value.cause), configurable: true, writable: true });
    }
    if (value.props !== undefined) {
      const props = list(value.props, 'an entry list');
      for (let i = 0; i < props.length; i++) {
        const [key, item] = entry(props, i);
        Object.defineProperty(error, checkKey(key), {
          value: this.decode(item),
          configurable: true,
          writable: true,
          enumerable: true,
        });
      }
    }
    this.depth--;
    return error;
  }
}
