/**
 * What every kind of remote proxy shares: the members it answers locally, its label, the traps
 * that refuse, and proxy targets that `util.inspect` prints as the label.
 */
import { Object, TypeError } from './builtins';
import { inspectCustom } from './platform';

/** Returned by `localMember` for members that go to the peer. */
export const REMOTE: unique symbol = Symbol('remote member');

/** Read through any of our proxies, it gives the proxy's label (for `util.inspect`). */
export const LABEL: unique symbol = Symbol('weakwire.label');

/**
 * Members every proxy, member reference, pipelined result and method stub answers itself, never
 * asking the peer: the ones ordinary code reads without meaning to reach the remote object.
 * `JSON.stringify`, `String(x)`, template literals and `util.inspect` then print the owner's
 * label instead of sending a request whose failure nobody would await, and `await proxy` never
 * runs a remote `then`. (Member references and results answer `then` themselves: awaiting them
 * is the point.) The label is made by `label(owner)` only when one of those members is read:
 * every member read passes through here.
 */
export function localMember<T>(key: string | symbol, owner: T, callable: boolean, label: (owner: T) => string): unknown {
  switch (key) {
    case 'then':
      return undefined;
    case LABEL:
      return label(owner);
    case 'toJSON':
    case 'toString':
    case Symbol.toPrimitive:
    case inspectCustom: {
      const text = label(owner);
      return () => text;
    }
    case 'valueOf':
      return Object.prototype.valueOf;
    case Symbol.toStringTag:
      return 'RemoteObject';
  }
  if (typeof key === 'symbol') return undefined;
  // `call`, `apply` and `bind` of a callable are the builtins: they call the proxy itself (so
  // `fn.apply(self, args)` works on callbacks); reading them remotely would be refused anyway.
  if (callable && (key === 'call' || key === 'apply' || key === 'bind')) return Function.prototype[key];
  return REMOTE;
}

export function refuse(what: string): never {
  throw new TypeError(`Remote objects do not support ${what}`);
}

/** The traps every kind refuses. */
export const refusingTraps = {
  defineProperty: (): never => refuse('defineProperty'),
  deleteProperty: (): never => refuse('delete'),
  setPrototypeOf: (): never => refuse('setPrototypeOf'),
  preventExtensions: (): never => refuse('preventExtensions'),
};

/**
 * `util.inspect` (and so `console.log`) looks at a proxy's target, never through its traps: the
 * targets inherit a custom inspection that asks the proxy itself (`this`) for its label.
 */
function inspectLabel(this: { [LABEL]?: unknown }): unknown {
  return this[LABEL];
}
/** What a non-callable proxy's target inherits: the inspection that prints the proxy's label. */
export const objectTargetPrototype = Object.create(Object.prototype, { [inspectCustom]: { value: inspectLabel } }) as object;
const functionTargetPrototype = Object.create(Function.prototype, {
  [inspectCustom]: { value: inspectLabel },
}) as object;

/** `fn` as a callable target that inspects as its proxy's label. */
export function callableTarget<F extends (...args: any[]) => unknown>(fn: F): F {
  Object.setPrototypeOf(fn, functionTargetPrototype);
  return fn;
}
