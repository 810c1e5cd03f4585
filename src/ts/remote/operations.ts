/**
 * The operations a peer may ask for: require, global, get, set, call, new. Each applies the
 * access policy and runs on this side's objects: an exported object (`target`) or a kept answer
 * (`on`), reached through a member path (`proxy.a.b.c` is one request, checked at every step).
 *
 * Every check runs before the request's values are decoded: a refused request never makes a
 * proxy or hands anything to application code, so the session can give back every reference it
 * carried. `decode` is called once, right before the values are handed over.
 */
import { Reflect, TypeError } from './builtins';
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
  /** The exported object with this id, or undefined. */
  findExport(id: number): object | undefined;
}

/** Decodes a message's values; the operation calls it once all checks passed. */
export type DecodeValues = <K extends Op>(message: MessageOf<K>) => ValuesOf<K>;

/** A result that must go by reference whatever it is (a module, a served global object). */
export class ByReference {
  #brand = true;
  constructor(readonly value: object) {}

  /**
   * Whether `outcome` is one. A brand check, not `instanceof`: that reads the prototype of what
   * served code returned, and a revoked Proxy throws there, outside any answer.
   */
  static is(outcome: unknown): outcome is ByReference {
    return typeof outcome === 'object' && outcome !== null && #brand in outcome;
  }
}

/** A request that runs on an object: `root` is its target, or the kept answer it names. */
export type ObjectRequest = MessageOf<'get'> | MessageOf<'set'> | MessageOf<'call'> | MessageOf<'new'>;
export type PeerRequest = Exclude<Request, MessageOf<'hello'>>;

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function describePath(path: readonly string[], upto: number): string {
  return path.slice(0, upto).join('.');
}

/**
 * The object holding the last member of `path`, walked from `root` with the access policy
 * checked at every step (a getter on the way runs, as a read would run it).
 */
function holderOf(root: unknown, path: readonly string[], context: OperationContext): object {
  let holder = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isObject(holder)) {
      throw new TypeError(`Cannot read member ${JSON.stringify(path[i])} of ${holder === null ? 'null' : typeof holder} (${describePath(path, i) || 'the object'})`);
    }
    checkMember(holder, path[i], context.allowPrototypeAccess);
    holder = Reflect.get(holder, path[i]);
  }
  if (!isObject(holder)) {
    const at = path.length > 1 ? describePath(path, path.length - 1) : 'the object';
    throw new TypeError(`Cannot reach member ${JSON.stringify(path[path.length - 1])}: ${at} is ${holder === null ? 'null' : typeof holder}`);
  }
  checkMember(holder, path[path.length - 1], context.allowPrototypeAccess);
  return holder;
}

/** Reads `path` from `root` under the access policy (a getter on the way runs). */
export function readPath(root: unknown, path: readonly string[], context: OperationContext): unknown {
  const holder = holderOf(root, path, context);
  return Reflect.get(holder, path[path.length - 1]);
}

function callable(fn: unknown, path: readonly string[] | undefined): (...args: unknown[]) => unknown {
  if (typeof fn === 'function') return fn as (...args: unknown[]) => unknown;
  if (path !== undefined) throw notAFunctionError(path.join('.'));
  throw new TypeError('The remote object is not a function');
}

/**
 * Runs a request that names no object (require, global): its result, wrapped in ByReference
 * when it must go by reference.
 */
export function runOnPeer(message: MessageOf<'require'> | MessageOf<'global'>, context: OperationContext): unknown {
  if (message.op === 'require') {
    if (context.resolveModule === undefined) throw deniedError('This peer serves no modules');
    return new ByReference(context.resolveModule(message.name));
  }
  if (context.resolveGlobal === undefined) throw deniedError('This peer serves no globals');
  const value = context.resolveGlobal(message.name);
  return typeof value === 'object' && value !== null ? new ByReference(value) : value;
}

/**
 * Runs a request on `root` (its target object, or the answer it names): the result, or STALE,
 * having called nothing, when a keyed call's member is no longer the function the caller
 * expected (a sync method stub).
 */
export function runOnObject(message: ObjectRequest, root: unknown, context: OperationContext, decode: DecodeValues): unknown {
  switch (message.op) {
    case 'get':
      return readPath(root, message.path, context);
    case 'set': {
      if (!context.allowWrites) {
        throw deniedError(
          `Assigning member ${JSON.stringify(message.path.join('.'))} of a remote object is refused: this peer does not allow writes`,
        );
      }
      const holder = holderOf(root, message.path, context);
      const key = message.path[message.path.length - 1];
      const [value] = decode(message);
      if (!Reflect.set(holder, key, value)) {
        throw new TypeError(`Cannot assign to read-only member ${JSON.stringify(key)}`);
      }
      return undefined;
    }
    case 'call':
    case 'new': {
      let fn: unknown = root;
      let self: unknown;
      if (message.path !== undefined) {
        const holder = holderOf(root, message.path, context);
        self = holder;
        fn = Reflect.get(holder, message.path[message.path.length - 1]);
        // A sync method stub: call only the function the caller read; else it reads again.
        if (message.expect !== undefined && fn !== context.findExport(message.expect)) return STALE;
      }
      const f = callable(fn, message.path);
      if (message.op === 'new') {
        const [args] = decode(message);
        return Reflect.construct(f, args);
      }
      const [that, args] = decode(message);
      return Reflect.apply(f, message.path === undefined ? that : self, args);
    }
  }
}
