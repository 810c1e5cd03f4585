/**
 * A received clone (`{ $: 'clone', v }`): what the peer sent as plain data through structured
 * clone. The peer may be hostile, so the value is checked before the application sees it: only
 * plain objects, arrays, Map, Set, Date, RegExp, ArrayBuffer and whole standard views over an
 * ordinary ArrayBuffer (never shared memory the peer could still write), no holes, at most
 * `maxDepth` levels deep. The walk remembers every object, so shared parts and cycles cost one
 * visit, and stops at the first thing that is not data: a sparse array of length 2^32 - 1 is
 * refused at its first hole, not walked.
 *
 * A value made in another realm (jest's vm context receiving from a port of the main context) is
 * copied into this one as it is checked; values of this realm are kept as they are, except
 * arrays, Maps and Sets, which are rebuilt from what was checked: structured clone carries an
 * array's named properties too (shared memory, errors, anything it copies), which the walk over
 * its items never sees, and a Map key or Set item the check replaced cannot be changed in place.
 *
 * A clone read from a MessagePack frame (`trees`) is a tree by construction: the frame decoder
 * makes a new object for every container it reads and has no way to name one twice, so the walk
 * keeps no record of what it met (that record was most of the check's time). Its depth bound
 * still holds, and every other check is the same.
 */
import { Array, ArrayBuffer, Map, Object, Set, Uint8Array } from '../builtins';
import { protocolError, RemoteError } from '../errors';
import { types } from '../platform';
import { TYPED_ARRAYS } from './kinds';
import { isObjectPrototype, isPlainArray } from './realm';

const getPrototypeOf = Object.getPrototypeOf;

function fail(what: string): never {
  throw protocolError(`Malformed value: a clone holds ${what}`);
}

export class CloneCheck {
  /** What each object met became; undefined for a tree, where no object comes twice. */
  private readonly done: Map<object, unknown> | undefined;
  private depth = 0;

  constructor(
    private readonly maxDepth: number,
    /** Copy into this realm (the value was made in another one). */
    private readonly copy: boolean,
    /** The value was read from a frame (see above). */
    trees = false,
  ) {
    this.done = trees ? undefined : new Map();
  }

  /** The checked value (itself, or its copy into this realm). Throws a protocol error. */
  value(value: unknown): unknown {
    if (typeof value !== 'object') {
      if (typeof value === 'function' || typeof value === 'symbol') fail(typeof value);
      return value;
    }
    if (value === null) return null;
    const known = this.done?.get(value);
    if (known !== undefined) return known;
    if (isPlainArray(value)) {
      // Structured clone carries an array's named properties too (anything it can copy: shared
      // memory, errors), and only the items are checked: they arrive in an array of their own, as
      // the tagged encoding sends them. A frame's arrays have items only.
      const items = this.copy || this.done !== undefined;
      const out: unknown[] = items ? new Array(value.length) : value;
      this.done?.set(value, out);
      this.enter();
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === undefined && !(i in value)) fail('a sparse array');
        const checked = this.value(item);
        if (items || checked !== item) out[i] = checked;
      }
      this.depth--;
      return out;
    }
    if (isObjectPrototype(getPrototypeOf(value))) {
      const out: Record<string, unknown> = this.copy ? {} : (value as Record<string, unknown>);
      this.done?.set(value, out);
      this.enter();
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        const checked = this.value(item);
        if (this.copy) {
          // A peer's key is an own property, never the prototype.
          Object.defineProperty(out, key, { value: checked, enumerable: true, writable: true, configurable: true });
        } else if (checked !== item) {
          // What the check replaced (an array's items): the key is an own data property here, so
          // assigning it sets that property, never a prototype or an inherited setter.
          out[key] = checked;
        }
      }
      this.depth--;
      return out;
    }
    if (types.isMap(value)) {
      const map = value as Map<unknown, unknown>;
      // Always a new one: a key the check replaced (an array) cannot be changed in place.
      const out = new Map<unknown, unknown>();
      this.done?.set(value, out);
      this.enter();
      for (const [k, v] of map) {
        const key = this.value(k);
        const item = this.value(v);
        out.set(key, item);
      }
      this.depth--;
      return out;
    }
    if (types.isSet(value)) {
      const set = value as Set<unknown>;
      // Always a new one, as for a Map.
      const out = new Set<unknown>();
      this.done?.set(value, out);
      this.enter();
      for (const v of set) {
        const item = this.value(v);
        out.add(item);
      }
      this.depth--;
      return out;
    }
    if (types.isDate(value)) return this.keep(value, this.copy ? new Date((value as Date).getTime()) : value);
    if (types.isRegExp(value)) {
      const re = value as RegExp;
      return this.keep(value, this.copy ? new RegExp(re.source, re.flags) : value);
    }
    if (types.isArrayBuffer(value)) {
      return this.keep(value, this.copy ? (value as ArrayBuffer).slice(0) : value);
    }
    if (ArrayBuffer.isView(value) && types.isArrayBuffer(value.buffer)) {
      const name = Object.prototype.toString.call(value).slice(8, -1);
      // The frame decoder may leave a large binary value as a view of its frame: it arrives as a
      // whole Uint8Array of its own, like every other.
      if (this.done === undefined && name === 'Uint8Array' && getPrototypeOf(value) === Uint8Array.prototype) {
        const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
        return whole ? value : (value as Uint8Array).slice();
      }
      if (Object.hasOwn(TYPED_ARRAYS, name) && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) {
        if (!this.copy && getPrototypeOf(value) === TYPED_ARRAYS[name].prototype) return this.keep(value, value);
        const bytes = new Uint8Array(value.byteLength);
        bytes.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return this.keep(value, new TYPED_ARRAYS[name](bytes.buffer));
      }
    }
    return fail(`${Object.prototype.toString.call(value).slice(8, -1) || 'an object'} that is not plain data`);
  }

  private keep(value: object, out: unknown): unknown {
    this.done?.set(value, out);
    return out;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new RemoteError('ERR_REMOTE_TOO_DEEP', `Malformed value: nested more than ${this.maxDepth} levels deep (maxDepth)`);
    }
  }
}
