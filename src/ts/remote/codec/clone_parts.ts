/**
 * The parts of a message's values that can go through structured clone as they are when the
 * values as a whole cannot (a function, a class instance, a Buffer or a hole somewhere in them).
 * Without it, one callback beside 10,000 plain objects sent all 10,000 as a tagged tree (about
 * six objects each, ten times the time of the clone); with it, the tagged tree holds the path to
 * what must be tagged and a `{ $: 'clone', v }` record for every plain part hanging off it.
 *
 * The walk goes over the values the way the tagged encoder will (the same kinds, entered in the
 * same order: items by index, an object's own keys by `Object.keys`, a Map's key then value), and
 * records each object whose whole subtree is plain data, with its height. An object is plain
 * when structured clone carries it as the tagged encoding would: the kinds `PlainScan` accepts for
 * a clone transport, and everything under it plain too. An object on a cycle is taken as not
 * plain (a cycle back to an object still being walked makes the object that closes it tagged), so
 * a plain part is a tree or a graph without cycles, and "plain" goes up: an object with a part
 * that is not plain is not plain.
 *
 * Two rules keep what arrives exactly what the tagged tree would give:
 * - An object is either plain, and then every time the encoder meets it, it goes in a clone record,
 *   or not, and then it is tagged and never inside a clone record. Shared parts stay shared: the
 *   tagged ones by the encoder's back-references, the plain ones by structured clone, which keeps
 *   an object met twice in one message as one object, across records.
 * - No clone record makes the value deeper than `maxDepth`: each time the walk meets a plain
 *   object, first or again, the levels above it plus its height must be within `maxDepth`, and
 *   the encoder meets the tagged objects on the same paths as the walk. When that does not hold,
 *   or the walk meets a kind the encoder enters and it does not (an error, whose fields the
 *   encoder copies one by one, or a plain object or array of another realm), there is no plan:
 *   the message is a tagged tree, as before.
 *
 * The walk records every object it meets (a Map), as the tagged encoding it replaces does.
 */
import { Array, ArrayBuffer, Map, Object, Set } from '../builtins';
import { WIRE_LIMITS } from '../limits';
import { types } from '../platform';
import { isWholeView, PROTOTYPES } from './clone_scan';
import { isObjectPrototype, isPlainArray } from './realm';

const {
  object: OBJECT_PROTO,
  array: ARRAY_PROTO,
  date: DATE_PROTO,
  regexp: REGEXP_PROTO,
  map: MAP_PROTO,
  set: SET_PROTO,
  arrayBuffer: ARRAYBUFFER_PROTO,
} = PROTOTYPES;

const getPrototypeOf = Object.getPrototypeOf;
const keysOf = Object.keys;

/** Whether an object of Object.prototype is an ordinary one, with no internal slot clone reads. */
function isOrdinary(value: object): boolean {
  return !(
    types.isBoxedPrimitive(value) ||
    types.isArgumentsObject(value) ||
    types.isWeakMap(value) ||
    types.isWeakSet(value) ||
    types.isExternal(value)
  );
}

/** Recorded for an object being walked, and for one that is not plain. */
const WALKING = -1;
const TAGGED = -2;

/** Thrown inside the walk when there is no plan; never leaves `plainParts`. */
const NO_PLAN: unique symbol = Symbol('no plan');

/**
 * The plain parts of `values` (see above), each with its height (the levels of arrays, objects,
 * Maps and Sets on its longest path; 0 for a Date, RegExp, ArrayBuffer or whole view), or
 * undefined when the message must go as a tagged tree. Reading a value that throws ends the plan
 * too (the tagged encoder then meets the throw itself).
 */
export function plainParts(values: readonly unknown[], maxDepth: number): ReadonlyMap<object, number> | undefined {
  // Most messages that get here hold only primitives and functions: nothing to find, no walk.
  let objects = false;
  for (let i = 0; i < values.length && !objects; i++) objects = typeof values[i] === 'object' && values[i] !== null;
  if (!objects) return undefined;
  const walk = new PartsWalk(maxDepth);
  try {
    for (let i = 0; i < values.length; i++) walk.item(values[i], 0);
  } catch {
    return undefined;
  }
  return walk.found;
}

class PartsWalk {
  /** Every object met: its height when plain, else WALKING or TAGGED. */
  readonly found = new Map<object, number>();

  constructor(private readonly maxDepth: number) {}

  /** The height of `value` when it is plain data, else TAGGED. `above`: levels over it. */
  item(value: unknown, above: number): number {
    switch (typeof value) {
      case 'object':
        return value === null ? 0 : this.object(value, above);
      case 'function':
      case 'symbol':
        return TAGGED;
      default:
        return 0;
    }
  }

  // The kinds in the order the tagged encoder tells them apart (encoder.ts, encodeObject), so that
  // the walk enters what it enters; whether a kind is plain is what PlainScan says of it.
  private object(value: object, above: number): number {
    const known = this.found.get(value);
    if (known !== undefined) {
      if (known >= 0) this.within(above + known);
      return known >= 0 ? known : TAGGED;
    }
    if (types.isProxy(value) || types.isPromise(value)) return this.tagged(value);
    const proto = getPrototypeOf(value);
    if (proto === ARRAY_PROTO && Array.isArray(value)) return this.array(value, above);
    if (types.isDate(value)) return proto === DATE_PROTO ? this.leaf(value) : this.tagged(value);
    if (types.isRegExp(value)) return proto === REGEXP_PROTO ? this.leaf(value) : this.tagged(value);
    if (types.isMap(value)) return this.map(value as Map<unknown, unknown>, above, proto === MAP_PROTO);
    if (types.isSet(value)) return this.set(value as Set<unknown>, above, proto === SET_PROTO);
    if (types.isArrayBuffer(value)) return proto === ARRAYBUFFER_PROTO ? this.leaf(value) : this.tagged(value);
    if (ArrayBuffer.isView(value)) return isWholeView(value) ? this.leaf(value) : this.tagged(value);
    // An error's fields are copied one by one, each as data only: no plan.
    if (types.isNativeError(value) || value instanceof Error) throw NO_PLAN;
    // An object of Object.prototype with an internal slot (a boxed primitive, `arguments`, a weak
    // collection whose prototype was replaced) is not one structured clone copies as the tagged
    // encoding does: the encoder enters it as an object, so the walk does, as not plain.
    if (proto === OBJECT_PROTO) return this.record(value as Record<string, unknown>, above, isOrdinary(value));
    if (proto === null) return this.record(value as Record<string, unknown>, above, false);
    // Another realm's plain object or array: the encoder sends it by reference, a clone copies it.
    if (isPlainArray(value) || isObjectPrototype(proto)) throw NO_PLAN;
    return this.tagged(value);
  }

  private within(levels: number): void {
    if (levels > this.maxDepth) throw NO_PLAN;
  }

  private tagged(value: object): number {
    this.found.set(value, TAGGED);
    return TAGGED;
  }

  private leaf(value: object): number {
    this.found.set(value, 0);
    return 0;
  }

  /** Records what a container became once its entries were walked (`height`: theirs, at most). */
  private close(value: object, plain: boolean, height: number, above: number): number {
    const result = plain ? height + 1 : TAGGED;
    if (plain) this.within(above + result);
    this.found.set(value, result);
    return result;
  }

  private open(value: object, above: number): void {
    this.within(above + 1);
    this.found.set(value, WALKING);
  }

  private array(items: unknown[], above: number): number {
    this.open(items, above);
    // Read once, as the encoder does: a getter met on the way may grow the array.
    const length = items.length;
    // Structured clone copies an array's named properties too (and fails on a function there);
    // the tagged encoding sends the items only.
    let plain = keysOf(items).length <= length;
    let height = 0;
    let holes = 0;
    for (let i = 0; i < length; i++) {
      const value = items[i];
      // A hole arrives as a hole in a clone, as undefined in the tagged tree. Past the holes the
      // tagged encoder allows (it refuses the array then), no plan: the walk stops as soon.
      if (value === undefined && !(i in items)) {
        if (++holes > WIRE_LIMITS.maxHoles) throw NO_PLAN;
        plain = false;
        continue;
      }
      const h = this.item(value, above + 1);
      if (h < 0) plain = false;
      else if (h > height) height = h;
    }
    return this.close(items, plain, height, above);
  }

  /** `clones`: structured clone would give the object back as it is (not null-prototype). */
  private record(fields: Record<string, unknown>, above: number, clones: boolean): number {
    this.open(fields, above);
    let plain = clones;
    let height = 0;
    const keys = keysOf(fields);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      // An own "__proto__" key goes the tagged way, whose decoder defines it as data.
      if (key === '__proto__') plain = false;
      const h = this.item(fields[key], above + 1);
      if (h < 0) plain = false;
      else if (h > height) height = h;
    }
    return this.close(fields, plain, height, above);
  }

  private map(map: Map<unknown, unknown>, above: number, clones: boolean): number {
    this.open(map, above);
    let plain = clones;
    let height = 0;
    for (const [key, value] of map) {
      const k = this.item(key, above + 1);
      const v = this.item(value, above + 1);
      if (k < 0 || v < 0) plain = false;
      else height = Math.max(height, k, v);
    }
    return this.close(map, plain, height, above);
  }

  private set(set: Set<unknown>, above: number, clones: boolean): number {
    this.open(set, above);
    let plain = clones;
    let height = 0;
    for (const value of set) {
      const h = this.item(value, above + 1);
      if (h < 0) plain = false;
      else if (h > height) height = h;
    }
    return this.close(set, plain, height, above);
  }
}
