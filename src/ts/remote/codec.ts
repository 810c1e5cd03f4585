/**
 * Value encoding: turns any JavaScript value into JSON-compatible data and back.
 *
 * Copied kinds (primitives, plain objects, arrays, Date, RegExp, Map, Set, binary data, errors)
 * are encoded as tagged records so that user data can never be mistaken for a tag. Every copied
 * object gets an index in encounter order; a second encounter becomes `{ $: 'dup', n }`, which
 * keeps cycles and shared parts. Functions and all other objects go by reference through the
 * host (the session endpoint), which owns the export and import tables.
 */
import { types } from 'node:util';
import { protocolError, RemoteError } from './errors';
import { describeValue, isId, isRecord } from './protocol';

/** What the codec needs from the session it encodes for. */
export interface CodecHost {
  /** A local object or function going out by reference: `{ $: 'ref' | 'yours', ... }`. */
  reference(value: object, sent: number[]): Tagged;
  /** A local promise going out: returns its promise id; the host sends `settle` later. */
  exportPromise(value: Promise<unknown>): number;
  /** An object the peer exported (`ref`): the cached proxy, counting this receipt. */
  importRef(id: number, callable: boolean): object;
  /** One of our own exports coming back (`yours`): the original object. */
  lookupExport(id: number): object;
  /** A promise the peer exported: a local promise settled by its `settle` message. */
  importPromise(id: number): Promise<unknown>;
}

export type Tagged = { $: string; [key: string]: unknown };
export type Wire = string | number | boolean | null | Tagged;

const TYPED_ARRAYS: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
};

const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

const ERROR_SKIP = new Set(['name', 'message', 'stack', 'cause']);

function encodeNumber(value: number): Wire {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  return { $: 'num', v: Object.is(value, -0) ? '-0' : String(value) };
}

function bytesOf(view: ArrayBufferView | ArrayBuffer): string {
  const bytes =
    view instanceof ArrayBuffer
      ? Buffer.from(view)
      : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  return bytes.toString('base64');
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Encodes the values of one message. It records the ids it exported so that a message which
 * fails to encode or to send can give its counts back (`rollback`).
 */
export class Encoder {
  // Made on the first copied object: most messages carry only primitives and references.
  private seen: Map<object, number> | undefined;
  readonly sent: number[] = [];

  constructor(private readonly host: CodecHost) {}

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
      case 'bigint':
        return { $: 'bigint', v: value.toString() };
      case 'symbol':
        throw new TypeError('Cannot send a symbol to a remote peer');
      case 'function':
        return this.host.reference(value, this.sent);
      default:
        if (value === null) return null;
        return this.encodeObject(value as object, byReference);
    }
  }

  private encodeObject(value: object, byReference: boolean): Wire {
    const index = this.seen?.get(value);
    if (index !== undefined) return { $: 'dup', n: index };
    if (byReference || types.isProxy(value)) return this.host.reference(value, this.sent);
    if (types.isPromise(value)) return { $: 'promise', id: this.host.exportPromise(value) };
    if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
      this.remember(value);
      const items: Wire[] = [];
      for (let i = 0; i < value.length; i++) items.push(this.encode(value[i]));
      return { $: 'array', v: items };
    }
    if (types.isDate(value)) {
      this.remember(value);
      return { $: 'date', v: encodeNumber(value.getTime()) };
    }
    if (types.isRegExp(value)) {
      this.remember(value);
      const re = value as RegExp;
      return { $: 'regexp', source: re.source, flags: re.flags };
    }
    if (types.isMap(value)) {
      this.remember(value);
      const entries: Wire[][] = [];
      for (const [k, v] of value as Map<unknown, unknown>) entries.push([this.encode(k), this.encode(v)]);
      return { $: 'map', e: entries };
    }
    if (types.isSet(value)) {
      this.remember(value);
      const items: Wire[] = [];
      for (const v of value as Set<unknown>) items.push(this.encode(v));
      return { $: 'set', v: items };
    }
    if (types.isArrayBuffer(value)) {
      this.remember(value);
      return { $: 'arraybuffer', b: bytesOf(value as ArrayBuffer) };
    }
    if (Buffer.isBuffer(value)) {
      this.remember(value);
      return { $: 'buffer', b: bytesOf(value) };
    }
    if (ArrayBuffer.isView(value)) {
      const name = Object.prototype.toString.call(value).slice(8, -1);
      if (Object.hasOwn(TYPED_ARRAYS, name)) {
        this.remember(value);
        return { $: 'typed', t: name, b: bytesOf(value) };
      }
    }
    if (types.isNativeError(value) || value instanceof Error) return this.encodeError(value as Error);
    if (isPlainObject(value)) {
      this.remember(value);
      const entries: Array<[string, Wire]> = [];
      for (const key of Object.keys(value)) {
        entries.push([key, this.encode((value as Record<string, unknown>)[key])]);
      }
      return Object.getPrototypeOf(value) === null
        ? { $: 'object', e: entries, bare: true }
        : { $: 'object', e: entries };
    }
    return this.host.reference(value, this.sent);
  }

  private encodeError(error: Error): Tagged {
    this.remember(error);
    const name = typeof error.name === 'string' ? error.name : 'Error';
    const message = typeof error.message === 'string' ? error.message : String(error.message);
    const out: Tagged = { $: 'error', name, message };
    if (typeof error.stack === 'string') out.stack = error.stack;
    if (Object.hasOwn(error, 'cause')) out.cause = this.encode(error.cause);
    const props: Array<[string, Wire]> = [];
    for (const key of Object.keys(error)) {
      if (!ERROR_SKIP.has(key)) props.push([key, this.encode((error as unknown as Record<string, unknown>)[key])]);
    }
    if (props.length > 0) out.props = props;
    return out;
  }

  private remember(value: object): void {
    this.seen ??= new Map();
    this.seen.set(value, this.seen.size);
  }
}

function fail(what: string, value: unknown): never {
  throw protocolError(`Malformed value: ${what} (got ${describeValue(value)})`);
}

function decodeNumber(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (value === '-0') return -0;
  if (isRecord(value) && value.$ === 'num') return decodeNumber(value.v);
  return fail('expected a number', value);
}

function decodeBytes(value: unknown): Buffer {
  if (typeof value !== 'string') fail('expected base64 bytes', value);
  return Buffer.from(value as string, 'base64');
}

function ownBuffer(bytes: Buffer): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') fail('property keys must be strings', key);
  // Refused outright: copying it would either change the new object's prototype or smuggle in a
  // key that other code may later assign from.
  if (key === '__proto__') {
    throw protocolError('Malformed value: copied data may not contain a __proto__ key');
  }
  return key as string;
}

function entriesOf(value: unknown): unknown[][] {
  if (!Array.isArray(value)) fail('expected an entry list', value);
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) fail('expected [key, value] entries', entry);
  }
  return value as unknown[][];
}

function decodeStack(name: string, message: string, stack: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return `${name}: ${message}\n    [remote stack]\n${frames.join('\n')}`;
}

/** Decodes the values of one message; `dup` indexes refer to objects decoded earlier in it. */
export class Decoder {
  private readonly table: object[] = [];
  /** Promise ids this message announced: forgotten again if the message turns out malformed. */
  readonly promises: number[] = [];

  constructor(private readonly host: CodecHost) {}

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
        if (typeof value.v !== 'string' || !/^-?\d{1,10000}$/.test(value.v)) fail('bad bigint', value.v);
        return BigInt(value.v as string);
      case 'dup': {
        const n = value.n;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= this.table.length) {
          fail('bad back-reference', n);
        }
        return this.table[n as number];
      }
      case 'array':
        return this.decodeArray(value.v);
      case 'object':
        return this.decodeObject(value.e, value.bare === true);
      case 'date':
        return this.keep(new Date(decodeNumber(value.v)));
      case 'regexp': {
        if (typeof value.source !== 'string' || typeof value.flags !== 'string') fail('bad regexp', value);
        let re: RegExp;
        try {
          re = new RegExp(value.source as string, value.flags as string);
        } catch {
          return fail('invalid regexp', value.source);
        }
        return this.keep(re);
      }
      case 'map': {
        const map = this.keep(new Map<unknown, unknown>());
        for (const [k, v] of entriesOf(value.e)) map.set(this.decode(k), this.decode(v));
        return map;
      }
      case 'set': {
        if (!Array.isArray(value.v)) fail('bad set', value.v);
        const set = this.keep(new Set<unknown>());
        for (const item of value.v as unknown[]) set.add(this.decode(item));
        return set;
      }
      case 'arraybuffer':
        return this.keep(ownBuffer(decodeBytes(value.b)));
      case 'buffer':
        return this.keep(Buffer.from(decodeBytes(value.b)));
      case 'typed':
        return this.decodeTyped(value.t, value.b);
      case 'error':
        return this.decodeError(value);
      case 'ref':
        if (!isId(value.id)) fail('bad object id', value.id);
        return this.host.importRef(value.id as number, value.fn === true);
      case 'yours':
        if (!isId(value.id)) fail('bad object id', value.id);
        return this.host.lookupExport(value.id as number);
      case 'promise':
        if (!isId(value.id)) fail('bad promise id', value.id);
        this.promises.push(value.id as number);
        return this.host.importPromise(value.id as number);
      default:
        return fail('unknown tag', value.$);
    }
  }

  private keep<T extends object>(value: T): T {
    this.table.push(value);
    return value;
  }

  private decodeArray(items: unknown): unknown[] {
    if (!Array.isArray(items)) fail('bad array', items);
    const out = this.keep(new Array<unknown>());
    for (const item of items as unknown[]) out.push(this.decode(item));
    return out;
  }

  private decodeObject(entries: unknown, bare: boolean): object {
    const list = entriesOf(entries);
    const out = this.keep((bare ? Object.create(null) : {}) as Record<string, unknown>);
    for (const [key, item] of list) out[checkKey(key)] = this.decode(item);
    return out;
  }

  private decodeTyped(kind: unknown, bytes: unknown): ArrayBufferView {
    if (typeof kind !== 'string' || !Object.hasOwn(TYPED_ARRAYS, kind)) fail('unknown typed array', kind);
    const Ctor = TYPED_ARRAYS[kind as string];
    const data = decodeBytes(bytes);
    const width = (Ctor as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    if (data.length % width !== 0) fail('typed array length', data.length);
    return this.keep(new Ctor(ownBuffer(data)));
  }

  private decodeError(value: { readonly [key: string]: unknown }): Error {
    const name = typeof value.name === 'string' ? value.name : 'Error';
    const message = typeof value.message === 'string' ? value.message : '';
    const Ctor = name === 'RemoteError' ? RemoteError : Object.hasOwn(ERRORS, name) ? ERRORS[name] : Error;
    const error: Error =
      Ctor === RemoteError ? new RemoteError('ERR_REMOTE_PROTOCOL', message) : new (Ctor as ErrorConstructor)(message);
    this.keep(error);
    if (error.name !== name) Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true });
    const stack = typeof value.stack === 'string' ? value.stack : `${name}: ${message}`;
    Object.defineProperty(error, 'stack', {
      value: decodeStack(name, message, stack),
      configurable: true,
      writable: true,
    });
    if (Object.hasOwn(value, 'cause')) {
      Object.defineProperty(error, 'cause', {
        value: this.decode(value.cause),
        configurable: true,
        writable: true,
      });
    }
    if (value.props !== undefined) {
      for (const [key, item] of entriesOf(value.props)) {
        const k = checkKey(key);
        Object.defineProperty(error, k, {
          value: this.decode(item),
          configurable: true,
          writable: true,
          enumerable: true,
        });
      }
    }
    return error;
  }
}
