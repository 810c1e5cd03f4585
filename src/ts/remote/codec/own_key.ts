/**
 * Setting a key the peer chose on an object we build. It must become an own data property:
 * assigning `__proto__` would set the prototype, and any other key `Object.prototype` holds could
 * run a setter someone installed there, or throw where it is read-only (frozen intrinsics). Those
 * keys are defined; the rest are assigned, which is faster and does the same on a fresh object.
 *
 * No Node.js built-ins: the frame decoder, which browsers run too, uses it.
 */
import { Object, Set } from '../builtins';

const OBJECT_PROTOTYPE = Object.prototype;
// The same answer as `key in Object.prototype` (whose own prototype is null), in fewer instructions.
const hasOwn = Object.hasOwn;

let names: readonly string[] = [];
let nameSet: ReadonlySet<string> = new Set();

/**
 * The keys `Object.prototype` holds now, for a caller that sets many keys with no code of anyone
 * else running in between (the frame decoder): a key not in it is assigned, which on a fresh
 * object defines it. Taken again on every call, and the Set reused while the names are the same.
 */
export function prototypeKeys(): ReadonlySet<string> {
  const now = Object.getOwnPropertyNames(OBJECT_PROTOTYPE);
  let same = now.length === names.length;
  for (let i = 0; same && i < now.length; i++) same = now[i] === names[i];
  if (!same) {
    names = now;
    nameSet = new Set(now);
  }
  return nameSet;
}

/** Defines `key` on `target` as an own, enumerable, writable data property. */
export function defineOwnKey(target: { [key: string]: unknown }, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function setOwnKey(target: { [key: string]: unknown }, key: string, value: unknown): void {
  if (hasOwn(OBJECT_PROTOTYPE, key)) {
    defineOwnKey(target, key, value);
  } else {
    target[key] = value;
  }
}
