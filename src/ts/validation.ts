/**
 * Argument checks shared by both backends (native and portable), so that bad input gives the
 * same `TypeError`, word for word, whichever backend runs. Nothing here touches a backend.
 *
 * The checks run in JavaScript rather than only in C++ so that the TypeError belongs to the
 * caller's realm (vm contexts, test runners); the native side keeps its own as a backstop.
 * @packageDocumentation
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

// setDestructor's wording ("number 42") predates the map's ("the number 42"); both are public.
function describeArgument(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value === 'object' ? 'an object' : typeof value;
}

function describeMapArgument(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** @throws TypeError naming the argument, before anything is registered. */
export function checkDestructorArguments(target: unknown, callback: unknown): void {
  if (!isObjectLike(target)) {
    throw new TypeError(`setDestructor: target must be an object or a function; got ${describeArgument(target)}`);
  }
  if (typeof callback !== 'function') {
    throw new TypeError(`setDestructor: callback must be a function; got ${describeArgument(callback)}`);
  }
}

/** @throws TypeError unless `key` is a safe integer or a string. */
export function checkMapKey(method: string, key: unknown): void {
  if (typeof key === 'string') return;
  if (typeof key === 'number' && Number.isInteger(key) && key <= MAX_SAFE && key >= -MAX_SAFE) return;
  throw new TypeError(`IDWeakMap.${method}: key must be a safe integer or a string; got ${describeMapArgument(key)}`);
}

/** @throws TypeError unless `value` is an object or a function. */
export function checkMapValue(value: unknown): void {
  if (!isObjectLike(value)) {
    throw new TypeError(`IDWeakMap.set: value must be an object or a function; got ${describeMapArgument(value)}`);
  }
}

/** @throws TypeError unless `callback` is a function. */
export function checkForEachCallback(callback: unknown): void {
  if (typeof callback !== 'function') {
    throw new TypeError(`IDWeakMap.prototype.forEach: callback must be a function`);
  }
}

/** The error for an IDWeakMap method called on something that is not one. */
export function mapReceiverError(method: string, receiver: unknown): TypeError {
  const what = receiver === null ? 'null' : typeof receiver;
  return new TypeError(`IDWeakMap.prototype.${method} called on ${what}; expected an IDWeakMap`);
}
