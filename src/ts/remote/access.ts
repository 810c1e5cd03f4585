/**
 * What a peer may touch on an exported object. Default-deny for the members that lead out of the
 * served objects: `__proto__`, `constructor`, `prototype` and everything inherited from
 * Object.prototype / Function.prototype (escapes such as `constructor.constructor('return process')`,
 * prototype pollution through `__proto__`).
 */
import { Object, Set } from './builtins';
import { deniedError } from './errors';

const PROTECTED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The object on `value`'s prototype chain that defines `key`, or undefined. */
function ownerOf(value: object, key: string): object | undefined {
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return o;
  }
  return undefined;
}

/**
 * Object.prototype or Function.prototype of any realm: served objects may come from a vm context
 * or another copy of the builtins, and identity with this realm's prototypes would miss them.
 */
function isBuiltinPrototype(value: object): boolean {
  if (value === Object.prototype || value === Function.prototype) return true;
  const isObjectPrototype = (o: object | null): boolean =>
    o !== null &&
    Object.getPrototypeOf(o) === null &&
    Object.hasOwn(o, 'hasOwnProperty') &&
    Object.hasOwn(o, '__defineGetter__') &&
    Object.hasOwn(o, 'isPrototypeOf');
  if (isObjectPrototype(value)) return true;
  return (
    typeof value === 'function' &&
    Object.hasOwn(value, 'call') &&
    Object.hasOwn(value, 'apply') &&
    Object.hasOwn(value, 'bind') &&
    isObjectPrototype(Object.getPrototypeOf(value))
  );
}

/** Throws ERR_REMOTE_DENIED unless the peer may read, write or call `key` on `target`. */
export function checkMember(target: object, key: string, allowPrototypeAccess: boolean): void {
  if (allowPrototypeAccess) return;
  if (PROTECTED_KEYS.has(key)) {
    throw deniedError(`Access to member ${JSON.stringify(key)} of a remote object is refused`);
  }
  if (Object.hasOwn(target, key)) return;
  const owner = ownerOf(target, key);
  if (owner !== undefined && isBuiltinPrototype(owner)) {
    throw deniedError(`Access to inherited builtin member ${JSON.stringify(key)} of a remote object is refused`);
  }
}
