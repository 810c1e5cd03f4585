/**
 * A received clone (`{ $: 'clone', v }`): what the peer sent as plain data through structured
 * clone. The peer may be hostile, so the value is checked before the application sees it: only
 * plain objects, arrays, Map, Set, Date, RegExp, ArrayBuffer and standard views over an
 * ordinary ArrayBuffer (never shared memory the peer could still write; a view of part of one is
 * copied into memory of its own), no holes, at most
 * `maxDepth` levels deep. The walk stops at the first thing that is not data: a sparse array of
 * length 2^32 - 1 is refused at its first hole, not walked.
 *
 * Structured clone carries an array's named properties too (shared memory, errors, anything it
 * copies), which a walk over its items never sees: an array that has any is rebuilt from its
 * checked items. So is every array too long to count its keys cheaply, and every Map and Set (a
 * key or item the check replaced cannot be changed in place). A value made in another realm (jest's
 * vm context receiving from a port of the main context) is copied into this one as it is checked.
 *
 * What each object became is recorded, so that shared parts and cycles keep their shape and cost
 * one visit. Recording every object was most of the check's time, so a value of this realm is
 * first walked with a partial record: everything the check replaced (so a part met twice still
 * becomes one object), and every object whose walk took at least `SMALL` steps or that has at
 * least `SMALL` entries. What is not recorded is kept as it is and walked again if met again,
 * which gives the same answer and costs less than `SMALL` steps each time, so the work stays
 * within `SMALL` + 1 steps per reference in the value whatever the peer sends. A cycle would walk
 * forever without a record, and a part met again deeper down than first would count the wrong
 * depth: the quick walk gives up past `QUICK_DEPTH` levels (or `maxDepth`), and also at any
 * refusal (a cycle can lead it to a later refusal before an earlier one). Then the check walks
 * the message's values again, from the first, recording every object, which gives the exact
 * answer; what the quick walk recorded is walked again into the same object where this walk
 * first meets it. What the quick walk spends before it gives up is bounded as above, and by
 * `QUICK_DEPTH` levels of fewer than `SMALL` entries of fewer than `SMALL` steps each on a cycle.
 *
 * A clone read from a MessagePack frame (`trees`) is a tree by construction: the frame decoder
 * makes a new object for every container it reads and has no way to name one twice, so the walk
 * keeps no record at all. Its depth bound still holds, and every other check is the same.
 */
import { Array, ArrayBuffer, Map, Object, Set, Uint8Array } from '../builtins';
import { protocolError, RemoteError } from '../errors';
import { types } from '../platform';
import { TYPED_ARRAYS } from './kinds';
import { isObjectPrototype, isPlainArray } from './realm';

const getPrototypeOf = Object.getPrototypeOf;
const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const keysOf = Object.keys;

/**
 * Entries below which an array's keys are counted (finding named properties) rather than the
 * array rebuilt; steps or entries from which the quick walk records an object.
 */
const SMALL = 16;
/** Levels past which the quick walk gives up for the recording one. */
const QUICK_DEPTH = 64;

/** Thrown by the quick walk when it gives up on depth; never leaves the check. */
const GIVE_UP: unique symbol = Symbol('give up');

function fail(what: string): never {
  throw protocolError(`Malformed value: a clone holds ${what}`);
}

/**
 * Whether a short array's own keys are its items and nothing else. Counting them is not enough: a
 * named key and a hole make the count equal again, and the hole is not seen by the walk over the
 * items when an index is inherited (a property someone set on `Array.prototype` or
 * `Object.prototype` reads there as the item). Own keys list the indices in ascending order
 * before any named key, so with as many keys as items the last is the last index exactly when
 * none is named, and then none is missing.
 */
function itemsOnly(value: unknown[], length: number): boolean {
  const keys = keysOf(value);
  return keys.length === length && (length === 0 || keys[length - 1] === `${length - 1}`);
}

/**
 * Whether this realm's `Object.prototype` has no enumerable key, so that `for...in` over a plain
 * object lists its own keys only. The application can add one at any time, never during a check
 * (the check runs no code of anyone's), so it is asked once per value.
 */
function inheritsNoKeys(): boolean {
  for (const _ in OBJECT_PROTO) return false;
  return true;
}

export class CloneCheck {
  /** What objects met became; undefined for a tree, where no object comes twice. */
  private readonly done: Map<object, unknown> | undefined;
  /** Record every object met (otherwise the quick walk's partial record, see above). */
  private all: boolean;
  private depth = 0;
  /** `for...in` over this realm's plain objects lists their own keys only (see inheritsNoKeys). */
  private ownKeysOnly = false;
  /** Entries walked so far (the quick walk records an object whose walk took many). */
  private walked = 0;
  /** The values of this message checked so far (a walk that gives up walks them again). */
  private readonly values: unknown[] = [];
  /** The levels above each of `values` in the message. */
  private readonly aboves: number[] = [];
  /** After the quick walk gave up: what it recorded, to the object it came from, to walk again. */
  private unfinished: Map<unknown, object> | undefined;

  constructor(
    private readonly maxDepth: number,
    /** Copy into this realm (the value was made in another one). */
    private readonly copy: boolean,
    /** The value was read from a frame (see above). */
    trees = false,
  ) {
    this.done = trees ? undefined : new Map();
    this.all = copy;
  }

  /**
   * The checked value (itself, or its copy into this realm). Throws a protocol error. `above`: the
   * levels of the message's tagged tree over this clone, which count towards `maxDepth` with its own.
   */
  value(value: unknown, above = 0): unknown {
    this.depth = above;
    this.ownKeysOnly = !this.copy && inheritsNoKeys();
    if (this.all || this.done === undefined) return this.walk(value);
    try {
      const out = this.walk(value);
      this.values.push(value);
      this.aboves.push(above);
      return out;
    } catch {
      // Given up, or refused: a cycle through the part being walked can reach a refusal before
      // the walk with the full record would, so that walk gives the answer, and the reason.
    }
    // The walk with the full record goes over the message's values again from the first, so that
    // every part counts its depth where it is first met. What the quick walk recorded stays
    // recorded (objects kept in place may hold what it became), and is walked again into the
    // same object where this walk first meets it.
    const unfinished = new Map<unknown, object>();
    for (const [from, out] of this.done) if (from !== out) unfinished.set(out, from);
    for (const [from, out] of this.done) if (from === out && !unfinished.has(out)) unfinished.set(out, from);
    this.unfinished = unfinished;
    this.all = true;
    for (let i = 0; i < this.values.length; i++) {
      this.depth = this.aboves[i];
      this.walk(this.values[i]);
    }
    this.values.length = 0;
    this.aboves.length = 0;
    this.depth = above;
    return this.walk(value);
  }

  /** Buffers behind views of part of them met in this message, and what their views may copy. */
  private partBuffers: Set<ArrayBufferLike> | undefined;
  private partBudget = 0;
  private partCopied = 0;

  /** Counts `length` bytes copied out of `buffer` for a view of part of it (see walk). */
  private copyPart(buffer: ArrayBufferLike, length: number): void {
    const seen = (this.partBuffers ??= new Set());
    if (!seen.has(buffer)) {
      seen.add(buffer);
      this.partBudget += buffer.byteLength;
    }
    this.partCopied += length;
    if (this.partCopied > this.partBudget) fail('views of one buffer that overlap');
  }

  /** Entries of arrays, objects, Maps and Sets walked so far, by every walk (tests bound it). */
  get steps(): number {
    return this.walked;
  }

  private walk(value: unknown): unknown {
    if (typeof value !== 'object') {
      if (typeof value === 'function' || typeof value === 'symbol') fail(typeof value);
      return value;
    }
    if (value === null) return null;
    const done = this.done;
    if (done !== undefined && done.size !== 0) {
      const known = done.get(value);
      if (known !== undefined) {
        const from = this.unfinished?.get(known);
        if (from !== undefined) {
          this.unfinished!.delete(known);
          this.fill(from, known);
        }
        return known;
      }
    }
    // This realm's plain objects and arrays first. Their `constructor` is one inherited data
    // property load, about half the cost of the prototype read (which calls into the runtime for a
    // value of unknown shape). It is exact for a clone: no value a deserializer or the frame
    // decoder makes has a getter, a Proxy, or a function of its own under that key, so `Object`
    // or `Array` there is what this realm's prototype holds. Anything else (a data key named
    // `constructor`, another realm, another kind) takes the prototype read.
    const ctor = (value as { constructor?: unknown }).constructor;
    if (ctor === Object) return this.object(value as Record<string, unknown>, true);
    if (ctor === Array && Array.isArray(value)) return this.array(value as unknown[]);
    const proto = getPrototypeOf(value);
    if (proto === OBJECT_PROTO) return this.object(value as Record<string, unknown>, true);
    if (proto === ARRAY_PROTO ? Array.isArray(value) : isPlainArray(value)) return this.array(value as unknown[]);
    if (isObjectPrototype(proto)) return this.object(value as Record<string, unknown>, false);
    if (types.isMap(value)) {
      const out = new Map<unknown, unknown>();
      this.keep(value, out);
      this.fillMap(value as Map<unknown, unknown>, out);
      return out;
    }
    if (types.isSet(value)) {
      const out = new Set<unknown>();
      this.keep(value, out);
      this.fillSet(value as Set<unknown>, out);
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
      if (Object.hasOwn(TYPED_ARRAYS, name)) {
        const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
        if (whole && !this.copy && getPrototypeOf(value) === TYPED_ARRAYS[name].prototype) return this.keep(value, value);
        // A view of part of a buffer (Node.js's advanced serialization gives every typed array
        // as a view of the message's memory, or of its pool of small Buffers) gets memory of its
        // own: its buffer may hold other data. Overlapping views of one buffer would copy it many
        // times over, so the bytes copied from part views stay within their buffers' sizes.
        if (!whole) this.copyPart(value.buffer, value.byteLength);
        const bytes = new Uint8Array(value.byteLength);
        bytes.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return this.keep(value, new TYPED_ARRAYS[name](bytes.buffer));
      }
    }
    return fail(`${Object.prototype.toString.call(value).slice(8, -1) || 'an object'} that is not plain data`);
  }

  private array(value: unknown[]): unknown[] {
    const length = value.length;
    // A frame's arrays have items only. Otherwise an array is kept only when it has no key but
    // its items: see itemsOnly.
    const rebuild = this.copy || (this.done !== undefined && (length >= SMALL || !itemsOnly(value, length)));
    // Grown item by item, in order (fillArray), so that it stays a packed array: one made by
    // `new Array(length)` stays holey when full, and V8 serializes a holey array in its sparse
    // form (every index written as a key), which a value passed on pays for at every hop.
    const out: unknown[] = rebuild ? [] : value;
    const steps = this.walked;
    if (rebuild || this.all) this.keep(value, out);
    this.fillArray(value, out);
    if (!rebuild && !this.all && this.walked - steps >= SMALL) this.keep(value, out);
    return out;
  }

  private object(value: Record<string, unknown>, thisRealm: boolean): Record<string, unknown> {
    if (thisRealm && this.ownKeysOnly) return this.objectInPlace(value);
    const out: Record<string, unknown> = this.copy ? {} : value;
    const keys = keysOf(value);
    const recorded = this.done !== undefined && (this.all || keys.length >= SMALL);
    const steps = this.walked;
    if (recorded) this.keep(value, out);
    this.fillObject(value, out, keys);
    if (!recorded && this.done !== undefined && this.walked - steps >= SMALL) this.keep(value, out);
    return out;
  }

  /**
   * A plain object of this realm, kept in place, its keys read by `for...in` (its own keys only,
   * see ownKeysOnly): no array of keys to make, and each value read from where the key was found
   * instead of by a megamorphic keyed load. Recorded as `object` records it, once it has `SMALL`
   * entries rather than before its walk (its key count is not known in advance): a part met
   * again within its first entries is walked again, as a small object's would be.
   */
  private objectInPlace(value: Record<string, unknown>): Record<string, unknown> {
    const done = this.done;
    const steps = this.walked;
    let recorded = done !== undefined && this.all;
    if (recorded) this.keep(value, value);
    this.enter();
    let entries = 0;
    for (const key in value) {
      if (++entries === SMALL && !recorded && done !== undefined) {
        recorded = true;
        this.keep(value, value);
      }
      const item = value[key];
      this.walked++;
      const checked = this.walk(item);
      // An own data property (see fillObject): assigning it sets that property.
      if (checked !== item) value[key] = checked;
    }
    this.depth--;
    if (!recorded && done !== undefined && this.walked - steps >= SMALL) this.keep(value, value);
    return value;
  }

  /** Walks what `from` holds into `out` (itself, or what it becomes). */
  private fill(from: object, out: unknown): void {
    if (types.isMap(from)) {
      (out as Map<unknown, unknown>).clear();
      this.fillMap(from as Map<unknown, unknown>, out as Map<unknown, unknown>);
    } else if (types.isSet(from)) {
      (out as Set<unknown>).clear();
      this.fillSet(from as Set<unknown>, out as Set<unknown>);
    } else if (isPlainArray(from)) {
      this.fillArray(from, out as unknown[]);
    } else if (isObjectPrototype(getPrototypeOf(from))) {
      this.fillObject(from as Record<string, unknown>, out as Record<string, unknown>, keysOf(from));
    }
  }

  private fillArray(value: unknown[], out: unknown[]): void {
    const length = value.length;
    this.enter();
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) fail('a sparse array');
      this.walked++;
      const checked = this.walk(item);
      if (out !== value || checked !== item) out[i] = checked;
    }
    this.depth--;
  }

  private fillObject(value: Record<string, unknown>, out: Record<string, unknown>, keys: string[]): void {
    this.enter();
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      const item = value[key];
      this.walked++;
      const checked = this.walk(item);
      if (this.copy) {
        // A peer's key is an own property, never the prototype.
        Object.defineProperty(out, key, { value: checked, enumerable: true, writable: true, configurable: true });
      } else if (checked !== item) {
        // What the check replaced (an array, a Map): the key is an own data property here, so
        // assigning it sets that property, never a prototype or an inherited setter.
        out[key] = checked;
      }
    }
    this.depth--;
  }

  private fillMap(map: Map<unknown, unknown>, out: Map<unknown, unknown>): void {
    this.enter();
    for (const [k, v] of map) {
      this.walked++;
      const key = this.walk(k);
      const item = this.walk(v);
      out.set(key, item);
    }
    this.depth--;
  }

  private fillSet(set: Set<unknown>, out: Set<unknown>): void {
    this.enter();
    for (const v of set) {
      this.walked++;
      out.add(this.walk(v));
    }
    this.depth--;
  }

  /**
   * Records what `value` became. In this realm a replacement is recorded as itself too: the
   * objects kept in place now hold it, and meeting it again must not replace it again.
   */
  private keep<T>(value: object, out: T): T {
    const done = this.done;
    if (done !== undefined) {
      done.set(value, out);
      if (!this.copy && (out as unknown) !== value) done.set(out as object, out);
    }
    return out;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      if (!this.all && this.done !== undefined) throw GIVE_UP;
      throw new RemoteError('ERR_REMOTE_TOO_DEEP', `Malformed value: nested more than ${this.maxDepth} levels deep (maxDepth)`);
    }
    if (this.depth > QUICK_DEPTH && !this.all && this.done !== undefined) throw GIVE_UP;
  }
}
