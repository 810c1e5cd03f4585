/**
 * Value encoding: turns any JavaScript value into JSON-compatible data.
 *
 * Copied kinds (primitives, plain objects, arrays, Date, RegExp, Map, Set, binary data, errors)
 * become tagged records, so user data can never be mistaken for a tag. Every copied object gets
 * an index in encounter order; a second encounter becomes `{ $: 'dup', n }`, which keeps cycles
 * and shared parts. Functions and all other objects go by reference through the host (the
 * session), which owns the export table.
 *
 * Some values must never create references the application did not pass on purpose: a call's
 * `this`, and everything inside errors. Those are encoded as data only (`data`): a value that
 * would need a new reference is left out, and nothing it touched stays counted or remembered.
 */
import { Array, ArrayBuffer, Error, Map, Object, Promise, Set, TypeError, Uint8Array } from '../builtins';
import { isBuffer, toBase64, types } from '../platform';
import { RemoteError } from '../errors';
import { WIRE_LIMITS } from '../limits';
import type { Tagged, Wire } from '../protocol';
import { encodeNumber, ERROR_OWN_FIELDS, TYPED_ARRAYS } from './kinds';
import { transferablesOf } from '../transfer';
import { PlainScan } from './clone_scan';
import { plainParts } from './clone_parts';
import { outgoingStack, type ErrorStacks } from './stacks';

/** What the encoder needs from the session it encodes for. */
export interface EncoderHost {
  /**
   * A local object or function going out by reference: counted (`ref`), or `yours`. `ordered`:
   * the message is a request that reaches the peer behind everything we sent before (so it may
   * name the peer's kept answers).
   */
  reference(value: object, sent: number[], ordered: boolean): Tagged;
  /** The peer's own object going home (`yours`, or its kept `answer`), else undefined. */
  homeReference(value: object, ordered: boolean): Tagged | undefined;
  /** A local promise going out: its promise id; the host sends `settle` later. */
  exportPromise(value: Promise<unknown>): number;
}

export interface EncoderOptions {
  readonly maxDepth: number;
  readonly errorStacks: ErrorStacks;
  /** The transport carries `Uint8Array` as such: binary data goes raw, not as base64. */
  readonly binary?: boolean;
  /**
   * The transport structured-clones messages: a copied value that is plain data goes as it is,
   * in one `{ $: 'clone', v }` record, instead of as a tagged tree.
   */
  readonly clone?: boolean;
  /**
   * The transport sends MessagePack frames: a copied value that a frame carries as it is (a tree
   * of plain objects, arrays and primitives, see PlainScan) goes in one clone record too.
   */
  readonly trees?: boolean;
}

/** One scanner for all encoders of a thread: it holds nothing between scans. */
let scanner: PlainScan | undefined;

const NONE: readonly number[] = [];

/** Thrown inside a data-only encoding when a value would need a new reference. */
const NOT_DATA: unique symbol = Symbol('not data');

/**
 * The bytes of binary data: raw when the transport carries bytes, else base64. Raw bytes are a
 * view while it spans most of its buffer (the transport serializes it before `send` returns), a
 * copy of just those bytes otherwise: a structured clone copies a view's whole buffer.
 */
function bytesOf(view: ArrayBufferView | ArrayBuffer, binary: boolean): string | Uint8Array {
  const buffer = types.isArrayBuffer(view) ? (view as ArrayBuffer) : (view as ArrayBufferView).buffer;
  const offset = types.isArrayBuffer(view) ? 0 : (view as ArrayBufferView).byteOffset;
  const length = view.byteLength;
  if (!binary) return toBase64(new Uint8Array(buffer, offset, length));
  const bytes = new Uint8Array(buffer, offset, length);
  return length * 2 >= buffer.byteLength ? bytes : bytes.slice();
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads `read()` as a string, or `fallback` when it is not one or reading throws. */
function safeString(read: () => unknown, fallback: string): string {
  try {
    const value = read();
    return typeof value === 'string' ? value : fallback;
  } catch {
    return fallback;
  }
}

/** A short description of a value that cannot be copied, without touching it more than needed. */
function describeUncopyable(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value !== 'object' || value === null) return typeof value;
  const name = safeString(() => (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } })?.constructor?.name, '');
  return name === '' ? 'an object' : `an instance of ${name}`;
}

/**
 * Encodes the values of one message. It records the ids it exported (`sent`) so that a message
 * which fails to encode or to send can give its counts back.
 */
export class Encoder {
  // Made on the first copied object: most messages carry only primitives and references.
  private seen: Map<object, number> | undefined;
  private sentIds: number[] | undefined;
  private depth = 0;
  private dataOnly = false;
  private readonly binary: boolean;
  /** The plain parts of this message's values, which go in clone records (see clone_parts.ts). */
  private plain: ReadonlyMap<object, number> | undefined;

  constructor(
    private readonly host: EncoderHost,
    private readonly options: EncoderOptions,
    /** A request, sent in order behind everything before it (see EncoderHost.reference). */
    private readonly ordered = false,
  ) {
    this.binary = options.binary === true;
  }

  /** Objects to move rather than copy (`transfer()`), gathered from the values encoded. */
  transfers: object[] | undefined;

  /**
   * Set when a message's values went whole through structured clone (`clone()`, never `encode()`)
   * on a transport that structured-clones (not frames, whose trees msgpackr writes itself).
   */
  clonedWhole = false;
  /**
   * False for a message encoded again after structured clone refused it whole: its values then
   * go tagged, with their plain parts planned (`planParts`), as any value the scan refuses.
   */
  clonesWhole = true;

  /** Adds the transfer list `transfer()` recorded for `value`, if any. */
  noteTransfer(value: unknown): void {
    const list = transferablesOf(value);
    if (list !== undefined) (this.transfers ??= []).push(...list);
  }

  /** The ids this encoder exported, one per send (to give back if the message never leaves). */
  get sent(): readonly number[] {
    return this.sentIds ?? NONE;
  }

  /**
   * Whether every one of `values` can go as it is through structured clone (see `clone()`), or
   * in a frame as a plain tree: only on such a transport, and only all together, so that parts
   * shared between the values of one message stay shared (the clone keeps them; a mix with the
   * tagged tree would not).
   */
  canClone(values: readonly unknown[]): boolean {
    const trees = this.options.clone !== true;
    if (trees && this.options.trees !== true) return false;
    let objects = false;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return false;
      if (typeof value === 'object' && value !== null) objects = true;
    }
    // Primitives alone gain nothing; the wrapper array is one level the values do not have.
    return objects && (scanner ??= new PlainScan()).isPlain(values as unknown[], this.options.maxDepth + 1, trees);
  }

  /**
   * When `canClone` refused `values` on a structured-clone transport: finds their plain parts, so
   * that the tagged tree encoded next holds each in a clone record instead of copying it object by
   * object. Nothing changes when there is no such plan (clone_parts.ts).
   */
  planParts(values: readonly unknown[]): void {
    if (this.options.clone === true) this.plain = plainParts(values, this.options.maxDepth);
  }

  /** Records that `canClone` accepted the values of this encoder's message (see `clonedWhole`). */
  tookWholeClone(): void {
    this.clonedWhole = this.options.clone === true;
  }

  /** A value `canClone` accepted: an object in one clone record, a primitive as usual. */
  clone(value: unknown): Wire {
    return typeof value === 'object' && value !== null ? { $: 'clone', v: value as unknown as Wire } : this.encode(value);
  }

  /** `byReference` forces the top-level object to go by reference (require/getGlobal results). */
  encode(value: unknown, byReference = false): Wire {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return encodeNumber(value);
      case 'undefined':
        return { $: 'undef' };
      case 'bigint': {
        const digits = value.toString();
        if (digits.length - (value < 0n ? 1 : 0) > WIRE_LIMITS.maxBigIntDigits) {
          throw new RemoteError('ERR_REMOTE_TOO_LARGE', `Cannot send a bigint of more than ${WIRE_LIMITS.maxBigIntDigits} digits`);
        }
        return { $: 'bigint', v: digits };
      }
      case 'symbol':
        throw new TypeError('Cannot send a symbol to a remote peer');
      case 'function':
        return this.byReference(value);
      default:
        if (value === null) return null;
        return this.encodeObject(value as object, byReference);
    }
  }

  /**
   * Encodes `value` as data: copies, and proxies going back to the peer, but no new reference
   * and no promise. Returns undefined when that is impossible (or reading the value throws);
   * nothing of the attempt stays counted or remembered.
   */
  data(value: unknown): Wire | undefined {
    const mark = this.seen?.size ?? 0;
    const depth = this.depth;
    const wasDataOnly = this.dataOnly;
    this.dataOnly = true;
    try {
      return this.encode(value);
    } catch {
      this.forgetSince(mark);
      this.depth = depth;
      return undefined;
    } finally {
      this.dataOnly = wasDataOnly;
    }
  }

  /**
   * Encodes a thrown or rejected value. Errors and other data are copied; a value that cannot be
   * copied becomes an Error that says what it was. It never throws.
   */
  failure(value: unknown): Wire {
    const data = this.data(value);
    if (data !== undefined) return data;
    return this.encodeError(new Error(`The remote code threw ${describeUncopyable(value)}, which cannot be copied`));
  }

  private byReference(value: object): Tagged {
    if (!this.dataOnly) return this.host.reference(value, (this.sentIds ??= []), this.ordered);
    const home = this.host.homeReference(value, this.ordered);
    if (home === undefined) throw NOT_DATA;
    return home;
  }

  private enter(): void {
    if (++this.depth > this.options.maxDepth) this.tooDeep();
  }

  private tooDeep(): never {
    throw new RemoteError('ERR_REMOTE_TOO_DEEP', `Cannot send a value nested more than ${this.options.maxDepth} levels deep (maxDepth)`);
  }

  private encodeObject(value: object, byReference: boolean): Wire {
    const index = this.seen?.get(value);
    if (index !== undefined) return { $: 'dup', n: index };
    if (byReference || types.isProxy(value)) return this.byReference(value);
    if (this.plain !== undefined) {
      const height = this.plain.get(value) ?? -1;
      // The walk checked the levels over each meeting it saw; an encoding that met the part
      // elsewhere (a `this` left out after a part of it was encoded) is checked here.
      if (height >= 0 && this.depth + height > this.options.maxDepth) this.tooDeep();
      if (height >= 0) return { $: 'clone', v: value as unknown as Wire };
    }
    if (types.isPromise(value)) {
      if (this.dataOnly) throw NOT_DATA;
      return { $: 'promise', id: this.host.exportPromise(value as Promise<unknown>) };
    }
    if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
      this.remember(value);
      this.enter();
      const length = value.length;
      // Grown in order so that it stays packed: V8 serializes an array made by `new Array(length)`
      // in its sparse form, every index a key (structured-clone transports send this tree).
      const items: Wire[] = [];
      let holes = 0;
      for (let i = 0; i < length; i++) {
        const item = value[i];
        // A hole is sent as undefined; an array of a few items and a length of billions (the
        // peer stored at an index it chose) would cost billions of steps, so holes are bounded.
        if (item === undefined && !(i in value) && ++holes > WIRE_LIMITS.maxHoles) {
          throw new RemoteError(
            'ERR_REMOTE_TOO_LARGE',
            `Cannot send a sparse array of length ${length}: more than ${WIRE_LIMITS.maxHoles} of its items are missing`,
          );
        }
        items.push(this.encode(item));
      }
      this.depth--;
      return { $: 'array', v: items };
    }
    if (types.isDate(value)) {
      this.remember(value);
      return { $: 'date', v: encodeNumber((value as Date).getTime()) };
    }
    if (types.isRegExp(value)) {
      this.remember(value);
      const re = value as RegExp;
      return { $: 'regexp', source: re.source, flags: re.flags };
    }
    if (types.isMap(value)) {
      this.remember(value);
      this.enter();
      const entries: Wire[][] = [];
      for (const [k, v] of value as Map<unknown, unknown>) entries.push([this.encode(k), this.encode(v)]);
      this.depth--;
      return { $: 'map', e: entries };
    }
    if (types.isSet(value)) {
      this.remember(value);
      this.enter();
      const items: Wire[] = [];
      for (const v of value as Set<unknown>) items.push(this.encode(v));
      this.depth--;
      return { $: 'set', v: items };
    }
    if (types.isArrayBuffer(value)) {
      this.remember(value);
      return { $: 'arraybuffer', b: bytesOf(value as ArrayBuffer, this.binary) };
    }
    if (isBuffer(value)) {
      this.remember(value);
      return { $: 'buffer', b: bytesOf(value, this.binary) };
    }
    if (ArrayBuffer.isView(value)) {
      const name = Object.prototype.toString.call(value).slice(8, -1);
      if (Object.hasOwn(TYPED_ARRAYS, name)) {
        this.remember(value);
        return { $: 'typed', t: name, b: bytesOf(value as ArrayBufferView, this.binary) };
      }
    }
    if (types.isNativeError(value) || value instanceof Error) return this.encodeError(value as Error);
    if (isPlainObject(value)) {
      this.remember(value);
      this.enter();
      const entries: Array<[string, Wire]> = [];
      for (const key of Object.keys(value)) {
        entries.push([key, this.encode((value as Record<string, unknown>)[key])]);
      }
      this.depth--;
      return Object.getPrototypeOf(value) === null
        ? { $: 'object', e: entries, bare: true }
        : { $: 'object', e: entries };
    }
    return this.byReference(value);
  }

  /**
   * Errors always travel by value: their name, message, stack (as `errorStacks` allows), cause
   * and own properties, each copied as data. A property that cannot be copied, or that throws
   * when read, is left out rather than exported: an error's `socket` or `request` never
   * reaches the peer by accident.
   */
  private encodeError(error: Error): Tagged {
    this.remember(error);
    this.enter();
    const name = safeString(() => error.name, 'Error');
    const message = safeString(() => error.message, '');
    const out: { $: string; [key: string]: unknown } = { $: 'error', name, message };
    const stack = outgoingStack(
      safeString(() => error.stack, ''),
      this.options.errorStacks,
    );
    if (stack !== undefined && stack !== '') out.stack = stack;
    if (this.hasOwnSafely(error, 'cause')) {
      const cause = this.data(this.readSafely(error, 'cause'));
      if (cause !== undefined) out.cause = cause;
    }
    const props: Array<[string, Wire]> = [];
    for (const key of this.keysSafely(error)) {
      if (ERROR_OWN_FIELDS.has(key)) continue;
      const item = this.data(this.readSafely(error, key));
      if (item !== undefined) props.push([key, item]);
    }
    if (props.length > 0) out.props = props;
    this.depth--;
    return out;
  }

  private hasOwnSafely(value: object, key: string): boolean {
    try {
      return Object.hasOwn(value, key);
    } catch {
      return false;
    }
  }

  private readSafely(value: object, key: string): unknown {
    try {
      return (value as Record<string, unknown>)[key];
    } catch {
      return NOT_DATA;
    }
  }

  private keysSafely(value: object): string[] {
    try {
      return Object.keys(value);
    } catch {
      return [];
    }
  }

  private remember(value: object): void {
    this.seen ??= new Map();
    this.seen.set(value, this.seen.size);
  }

  /** Forgets the copied objects remembered since `mark`, so later indexes stay in step. */
  private forgetSince(mark: number): void {
    if (this.seen === undefined || this.seen.size === mark) return;
    for (const [value, index] of this.seen) {
      if (index >= mark) this.seen.delete(value);
    }
  }
}
