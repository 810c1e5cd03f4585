/**
 * `transfer(value, transferables)`: send `value` with a transfer list, as comlink's `transfer`
 * does. The list is remembered for that very object (weakly) and used when the object is an
 * argument, a result or a settled value of a message; transports that can transfer (MessagePort,
 * Worker, worker-sync's port messages) move the listed objects instead of copying them, the
 * others copy.
 */
import { Array, TypeError, WeakMap } from './builtins';

/** What a transfer list may hold: ArrayBuffers, MessagePorts and the other transferable kinds. */
export type Transferable = object;

const transfers = new WeakMap<object, readonly Transferable[]>();

/**
 * Marks `value` to be sent with `transferables` in its transfer list, and returns it. Pass the
 * result where the value goes (an argument, a return value): `remote.process(transfer(bytes,
 * [bytes.buffer]))`. After the send, the transferred objects are unusable here (detached) on
 * transports that transfer; on the others the value is copied and they stay usable.
 * @throws TypeError when `value` is not an object or `transferables` is not an array.
 */
export function transfer<T>(value: T, transferables: readonly Transferable[]): T {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    throw new TypeError('value must be an object (the value to send with a transfer list)');
  }
  if (!Array.isArray(transferables)) throw new TypeError('transferables must be an array');
  transfers.set(value as object, transferables.slice());
  return value;
}

/** The transfer list `transfer()` recorded for `value`, if any. */
export function transferablesOf(value: unknown): readonly Transferable[] | undefined {
  return typeof value === 'object' && value !== null ? transfers.get(value) : undefined;
}
