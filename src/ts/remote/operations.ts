/**
 * The operations a peer may ask for: require, global, get, set, call, new. Each applies the
 * access policy and runs on this side's exported objects.
 *
 * Every check runs before the request's values are decoded: a refused request never makes a
 * proxy or hands anything to application code, so the session can give back every reference it
 * carried. `decode` is called once, right before the values are handed over.
 */
import { checkMember } from './access';
import { deniedError, notAFunctionError } from './errors';
import { STALE, type MessageOf, type Op, type Request, type ValuesOf } from './protocol';

export { STALE };

/** What an operation needs from its session. */
export interface OperationContext {
  readonly allowPrototypeAccess: boolean;
  /** Whether the peer may assign members of our objects (`set`). */
  readonly allowWrites: boolean;
  readonly resolveModule?: (name: string) => object;
  readonly resolveGlobal?: (name: string) => unknown;
  /** The exported object with this id; throws for unknown or freed ids. */
  lookupExport(id: number): object;
  /** The exported object with this id, or undefined. */
  findExport(id: number): object | undefined;
}

/** Decodes a message's values; the operation calls it once all checks passed. */
export type DecodeValues = <K extends Op>(message: MessageOf<K>) => ValuesOf<K>;

/** A result that must go by reference whatever it is (a module, a served global object). */
export class ByReference {
  constructor(readonly value: object) {}
}

function callable(fn: unknown, key: string | undefined, target: number): (...args: unknown[]) => unknown {
  if (typeof fn === 'function') return fn as (...args: unknown[]) => unknown;
  if (key !== undefined) throw notAFunctionError(key);
  throw new TypeError(`Remote object #${target} is not a function`);
}

/**
 * Runs one request (every one but HELLO) on this side's objects: its result (wrapped in
 * ByReference when it must go by reference), or STALE, having called nothing, when a keyed
 * call's member is no longer the function the caller expected.
 */
export function runOperation(
  message: Exclude<Request, MessageOf<'hello'>>,
  context: OperationContext,
  decode: DecodeValues,
): unknown {
  switch (message.op) {
    case 'require':
      if (context.resolveModule === undefined) throw deniedError('This peer serves no modules');
      return new ByReference(context.resolveModule(message.name));
    case 'global': {
      if (context.resolveGlobal === undefined) throw deniedError('This peer serves no globals');
      const value = context.resolveGlobal(message.name);
      return typeof value === 'object' && value !== null ? new ByReference(value) : value;
    }
    case 'get': {
      const target = context.lookupExport(message.target);
      checkMember(target, message.key, context.allowPrototypeAccess);
      return Reflect.get(target, message.key);
    }
    case 'set': {
      const target = context.lookupExport(message.target);
      if (!context.allowWrites) {
        throw deniedError(
          `Assigning member ${JSON.stringify(message.key)} of a remote object is refused: this peer does not allow writes`,
        );
      }
      checkMember(target, message.key, context.allowPrototypeAccess);
      const [value] = decode(message);
      if (!Reflect.set(target, message.key, value)) {
        throw new TypeError(`Cannot assign to read-only member ${JSON.stringify(message.key)}`);
      }
      return undefined;
    }
    case 'call':
    case 'new': {
      const target = context.lookupExport(message.target);
      let fn: unknown = target;
      let self: unknown;
      if (message.key !== undefined) {
        checkMember(target, message.key, context.allowPrototypeAccess);
        fn = Reflect.get(target, message.key);
        self = target;
        // A sync method stub: call only the function the caller read; else it reads again.
        if (message.expect !== undefined && fn !== context.findExport(message.expect)) return STALE;
      }
      const f = callable(fn, message.key, message.target);
      if (message.op === 'new') {
        const [args] = decode(message);
        return Reflect.construct(f, args);
      }
      const [that, args] = decode(message);
      return Reflect.apply(f, message.key === undefined ? that : self, args);
    }
  }
}
