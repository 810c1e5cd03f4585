/**
 * Values of another realm. A deserializer makes its objects in the realm it runs in, which is not
 * always this module's: in a `vm` context (jest's test environment is one) MessagePort messages
 * arrive as objects of the main context, whose `Array` and `Object.prototype` are not the
 * context's own. They are still plain data; these tests do not depend on the realm.
 */
import { Array, Object } from '../builtins';

const OBJECT_PROTO = Object.prototype;
const getPrototypeOf = Object.getPrototypeOf;

/** Whether `proto` is `Object.prototype`, of this realm or of another one. */
export function isObjectPrototype(proto: unknown): boolean {
  if (proto === OBJECT_PROTO) return true;
  if (typeof proto !== 'object' || proto === null || getPrototypeOf(proto) !== null) return false;
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && (ctor as { prototype?: unknown }).prototype === proto && ctor.name === 'Object';
}

/** Whether `value` (not a proxy) is an array whose prototype is `Array.prototype` of some realm. */
export function isPlainArray(value: unknown): value is unknown[] {
  // Array.prototype is itself an array; a subclass's prototype is not.
  return Array.isArray(value) && Array.isArray(getPrototypeOf(value));
}

/**
 * Whether `value` (what a deserializer made: never a null-prototype object) was made in another
 * realm than this module's: every object of this realm inherits from its `Object.prototype`.
 */
export function isForeign(value: object): boolean {
  return !(value instanceof Object);
}
