/**
 * The operations a peer may ask for: require, global, get, set, call, new. Each validates its
 * fields, applies the access policy and runs on this side's exported objects.
 */
import { checkMember } from './access';
import { deniedError, notAFunctionError, protocolError } from './errors';
import { describeValue, isId, STALE } from './protocol';

type Fields = { readonly [key: string]: unknown };

/** What an operation needs from its session. */
export interface OperationContext {
  readonly allowPrototypeAccess: boolean;
  readonly resolveModule?: (name: string) => object;
  readonly resolveGlobal?: (name: string) => unknown;
  /** The exported object with this id; throws for unknown or freed ids. */
  lookupExport(id: number): object;
  /** The exported object with this id, or undefined. */
  findExport(id: number): object | undefined;
  /** Decodes the values of one message (one per message: back-references are per message). */
  newDecoder(): MessageDecoder;
}

export interface MessageDecoder {
  decode(value: unknown): unknown;
}

function nameOf(message: Fields): string {
  if (typeof message.name !== 'string') {
    throw protocolError(`Malformed ${String(message.op)} request: name must be a string`);
  }
  return message.name;
}

function targetOf(message: Fields, context: OperationContext): object {
  if (!isId(message.target)) {
    throw protocolError(`Malformed ${String(message.op)} request: target must be an object id`);
  }
  return context.lookupExport(message.target);
}

function keyOf(key: unknown): string {
  if (typeof key !== 'string') {
    throw protocolError(`Malformed request: key must be a string, got ${describeValue(key)}`);
  }
  return key;
}

/**
 * Runs one request on this side's objects: the result, and whether it must go by reference. The
 * result is STALE when a keyed call's member is not the function it was expected to be.
 */
export function runOperation(message: Fields, context: OperationContext): [unknown, boolean] {
  switch (message.op) {
    case 'require': {
      const name = nameOf(message);
      if (context.resolveModule === undefined) throw deniedError('This peer serves no modules');
      return [context.resolveModule(name), true];
    }
    case 'global': {
      const name = nameOf(message);
      if (context.resolveGlobal === undefined) throw deniedError('This peer serves no globals');
      const value = context.resolveGlobal(name);
      return [value, typeof value === 'object' && value !== null];
    }
    case 'get': {
      const target = targetOf(message, context);
      const key = keyOf(message.key);
      checkMember(target, key, context.allowPrototypeAccess);
      return [Reflect.get(target, key), false];
    }
    case 'set': {
      const target = targetOf(message, context);
      const key = keyOf(message.key);
      checkMember(target, key, context.allowPrototypeAccess);
      if (!Object.hasOwn(message, 'value')) {
        throw protocolError('Malformed set request: value missing');
      }
      if (!Reflect.set(target, key, context.newDecoder().decode(message.value))) {
        throw new TypeError(`Cannot assign to read-only member ${JSON.stringify(key)}`);
      }
      return [undefined, false];
    }
    case 'call':
    case 'new': {
      const target = targetOf(message, context);
      if (!Array.isArray(message.args)) {
        throw protocolError(`Malformed ${message.op} request: args must be an array`);
      }
      if (message.args.length > 65536) throw protocolError('Too many arguments');
      const decoder = context.newDecoder();
      let fn: unknown = target;
      let self: unknown;
      if (message.key !== undefined) {
        const key = keyOf(message.key);
        checkMember(target, key, context.allowPrototypeAccess);
        fn = Reflect.get(target, key);
        self = target;
        if (message.expect !== undefined) {
          // A sync method stub: call only the function the caller read; else it reads again.
          if (!isId(message.expect)) {
            throw protocolError(`Malformed ${message.op} request: expect must be an object id`);
          }
          if (fn !== context.findExport(message.expect)) return [STALE, false];
        }
        if (typeof fn !== 'function') {
          throw notAFunctionError(key);
        }
      } else if (typeof fn !== 'function') {
        throw new TypeError(`Remote object #${String(message.target)} is not a function`);
      } else if (message.this !== undefined) {
        self = decoder.decode(message.this);
      }
      const args = message.args.map((arg) => decoder.decode(arg));
      if (message.op === 'new') return [Reflect.construct(fn as new (...a: unknown[]) => object, args), false];
      return [Reflect.apply(fn as (...a: unknown[]) => unknown, self, args), false];
    }
    default:
      throw protocolError(`Unknown operation ${describeValue(message.op)}`);
  }
}
