/**
 * Setting a key the peer chose on an object we build. It must become an own data property:
 * assigning `__proto__` would set the prototype, and any other key `Object.prototype` holds could
 * run a setter someone installed there, or throw where it is read-only (frozen intrinsics). Those
 * keys are defined; the rest are assigned, which is faster and does the same on a fresh object.
 *
 * No Node.js built-ins: the frame decoder, which browsers run too, uses it.
 */
import { Object } from '../builtins';

const OBJECT_PROTOTYPE = Object.prototype;
// The same answer as `key in Object.prototype` (whose own prototype is null), in fewer instructions.
const hasOwn = Object.hasOwn;

export function setOwnKey(target: { [key: string]: unknown }, key: string, value: unknown): void {
  if (hasOwn(OBJECT_PROTOTYPE, key)) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
