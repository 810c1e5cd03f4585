/**
 * The copied kinds the codec knows beyond JSON: numbers JSON cannot hold, typed arrays and the
 * standard error classes, shared by the encoder and the decoder.
 */
import { ArrayBuffer, Error, Int32Array, Number, Object, RangeError, Set, TypeError, Uint8Array } from '../builtins';
import type { Wire } from '../protocol';

/** Typed-array classes by name; a name not listed here is never constructed. */
export const TYPED_ARRAYS: { readonly [name: string]: new (buffer: ArrayBuffer) => ArrayBufferView } = {
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

/** Standard error classes a decoded error may take by its name. */
export const ERRORS: { readonly [name: string]: ErrorConstructor } = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Error members that travel in their own fields, not among the copied own properties. */
export const ERROR_OWN_FIELDS: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause']);

export function encodeNumber(value: number): Wire {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  return { $: 'num', v: Object.is(value, -0) ? '-0' : String(value) };
}
