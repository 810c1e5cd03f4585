/**
 * Whether a value can go to structured clone exactly as it is: nothing under it goes by
 * reference, nothing would arrive different from the copy the tagged encoding makes (a Buffer
 * would arrive as a Uint8Array, an error would lose its own properties, a hole would stay a
 * hole), and it is nested at most so deep.
 *
 * This runs over every copied value a clone transport sends, so it keeps no set of every object
 * it met. A value with shared parts or cycles is then walked more than once, and that is bounded
 * by remembering every 16th object visited: a part visited a second time is walked again only
 * until it reaches a remembered object (at most 16 steps), so the work stays within 16 times the
 * references in the value. A cycle can make the walk look deeper than the value is; the caller
 * then takes the tagged encoding, which gives the exact answer.
 *
 * A frame transport (MessagePack, codec/frames.ts) carries plain data too, but as a tree and with
 * fewer kinds: only plain objects, arrays, strings, numbers other than -0, booleans, null,
 * undefined and whole Uint8Arrays arrive as they were sent. For it (`trees`) the scan remembers
 * every object, exactly: a part met twice (shared, or a cycle) would arrive as two copies or
 * never finish encoding, so such a value takes the tagged encoding, which keeps it.
 */
import { Array, ArrayBuffer, Map, Object, Set, Uint8Array } from '../builtins';
import { isBuffer, types } from '../platform';
import { TYPED_ARRAYS } from './kinds';
import { isObjectPrototype, isPlainArray } from './realm';

/**
 * This realm's prototypes of the kinds structured clone gives back as they are (clone_parts.ts
 * tells them apart the same way). Each module keeps them in constants of its own: a compiled
 * module reads its own exports as properties, on every use.
 */
export const PROTOTYPES = {
  object: Object.prototype,
  array: Array.prototype,
  date: Date.prototype,
  regexp: RegExp.prototype,
  map: Map.prototype,
  set: Set.prototype,
  arrayBuffer: ArrayBuffer.prototype,
} as const;
const OBJECT_PROTO = PROTOTYPES.object;
const ARRAY_PROTO = PROTOTYPES.array;
const DATE_PROTO = PROTOTYPES.date;
const REGEXP_PROTO = PROTOTYPES.regexp;
const MAP_PROTO = PROTOTYPES.map;
const SET_PROTO = PROTOTYPES.set;
const ARRAYBUFFER_PROTO = PROTOTYPES.arrayBuffer;
const getPrototypeOf = Object.getPrototypeOf;
// Read once: the module's `types` export is a getter in the compiled code, read per object.
const hostTypes = types;

/** How often a visited object is remembered (a power of two, minus one). */
const SAMPLE_MASK = 15;

/**
 * A typed array or DataView that structured clone copies exactly as the tagged encoding does: a
 * standard class (not a Buffer: it would arrive as a Uint8Array) that covers the whole of an
 * ordinary ArrayBuffer (a view of part of one would carry the whole buffer along).
 */
export function isWholeView(view: ArrayBufferView): boolean {
  const name = Object.prototype.toString.call(view).slice(8, -1);
  if (!Object.hasOwn(TYPED_ARRAYS, name) || isBuffer(view)) return false;
  const Ctor = TYPED_ARRAYS[name];
  return (
    getPrototypeOf(view) === Ctor.prototype &&
    view.byteOffset === 0 &&
    getPrototypeOf(view.buffer) === ARRAYBUFFER_PROTO &&
    view.byteLength === view.buffer.byteLength
  );
}

/** Whether a view arrives as itself from a frame: a whole Uint8Array (not a Buffer). */
function isWholeBytes(view: ArrayBufferView): boolean {
  return getPrototypeOf(view) === Uint8Array.prototype && isWholeView(view);
}

export class PlainScan {
  private visits = 0;
  private sampled: Set<object> | undefined;
  private depth = 0;
  private maxDepth = 0;
  /** Frame mode: every object met so far; undefined for structured clone. */
  private met: Set<object> | undefined;

  /**
   * Whether `value` and everything under it can travel as it is, within `maxDepth` levels
   * (arrays, objects, Maps and Sets count one level each). False also when only the exact walk
   * can tell (a cycle deeper than the budget). `trees`: for a frame transport (see above).
   */
  isPlain(value: object, maxDepth: number, trees = false): boolean {
    this.visits = 0;
    this.sampled = undefined;
    this.depth = 0;
    this.maxDepth = maxDepth;
    this.met = trees ? new Set() : undefined;
    try {
      return trees ? this.tree(value) : this.object(value);
    } finally {
      this.met = undefined;
    }
  }

  /** Frame mode: one object, met for the first time, of a kind a frame carries as it is. */
  private tree(value: object): boolean {
    const met = this.met!;
    const size = met.size;
    // One hash operation: the set grows unless the object was met before.
    if (met.add(value).size === size) return false;
    if (hostTypes.isProxy(value)) return false;
    const proto = getPrototypeOf(value);
    if (proto === ARRAY_PROTO) return this.enter() && this.array(value as unknown[]) && this.leave();
    if (proto === OBJECT_PROTO) return this.enter() && this.record(value as Record<string, unknown>) && this.leave();
    return ArrayBuffer.isView(value) && isWholeBytes(value);
  }

  private object(value: object): boolean {
    const sampled = this.sampled;
    if (sampled !== undefined && sampled.has(value)) return true; // walked, or being walked
    if ((++this.visits & SAMPLE_MASK) === 0) (this.sampled ??= new Set()).add(value);
    if (hostTypes.isProxy(value)) return false;
    const proto = getPrototypeOf(value);
    if (proto === ARRAY_PROTO) return this.enter() && this.array(value as unknown[]) && this.leave();
    if (proto === OBJECT_PROTO) return this.enter() && this.record(value as Record<string, unknown>) && this.leave();
    if (proto === DATE_PROTO || proto === REGEXP_PROTO || proto === ARRAYBUFFER_PROTO) return true;
    if (proto === MAP_PROTO) return this.enter() && this.map(value as Map<unknown, unknown>) && this.leave();
    if (proto === SET_PROTO) return this.enter() && this.set(value as Set<unknown>) && this.leave();
    if (ArrayBuffer.isView(value)) return isWholeView(value);
    // Plain arrays and objects of another realm (values received in a vm context) go as they are.
    if (isPlainArray(value)) return this.enter() && this.array(value) && this.leave();
    return isObjectPrototype(proto) && this.enter() && this.record(value as Record<string, unknown>) && this.leave();
  }

  private enter(): boolean {
    return ++this.depth <= this.maxDepth;
  }

  private leave(): boolean {
    this.depth--;
    return true;
  }

  private item(value: unknown): boolean {
    switch (typeof value) {
      case 'object':
        return value === null || (this.met === undefined ? this.object(value) : this.tree(value));
      case 'number':
        // MessagePack writes -0 as the integer 0.
        return this.met === undefined || value !== 0 || 1 / value > 0;
      case 'bigint':
        // A frame has no bigint (msgpackr would write a 64-bit integer, read back as a number).
        return this.met === undefined;
      case 'function':
      case 'symbol':
        return false;
      default:
        return true;
    }
  }

  private array(items: unknown[]): boolean {
    // The length read once: a getter met on the way may grow the array.
    const length = items.length;
    for (let i = 0; i < length; i++) {
      const value = items[i];
      // A hole would arrive as a hole: the tagged copy makes the array dense.
      if (value === undefined ? !(i in items) : !this.item(value)) return false;
    }
    return true;
  }

  private record(fields: Record<string, unknown>): boolean {
    for (const key in fields) {
      // An own "__proto__" key goes the tagged way, whose decoder defines it as data. So does an
      // own "constructor" in a frame: the frame encoder (msgpackr) takes an object whose
      // `constructor` is not Object for a class instance, and calls its `toJSON` if it has one.
      if (key === '__proto__' || (key === 'constructor' && this.met !== undefined) || !this.item(fields[key])) return false;
    }
    return true;
  }

  private map(map: Map<unknown, unknown>): boolean {
    for (const [key, value] of map) {
      if (!this.item(key) || !this.item(value)) return false;
    }
    return true;
  }

  private set(set: Set<unknown>): boolean {
    for (const value of set) {
      if (!this.item(value)) return false;
    }
    return true;
  }
}
