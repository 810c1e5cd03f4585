/**
 * Sync method stubs. In sync mode `proxy.method(x)` would be two round trips (read the member,
 * then call it), so a member read as a function becomes a stub that stands for that function,
 * and `proxy.method(args)` calls it in one round trip (a `call` with the key and `expect`, the
 * function's id) for as long as the member still is that function. See docs/protocol.md.
 */
import { Map, Reflect, WeakMap } from './builtins';
import { Proxy } from './platform';
import { notAFunctionError } from './errors';
import type { ImportRecord } from './import_table';
import { callableTarget, localMember, REMOTE, refuse, refusingTraps } from './proxy_common';
import { STALE } from './protocol';
import type { RemoteOp } from './remote_op';

/** The proxy a stub was read from: its session, record and stub cache. */
export interface StubOwner {
  readonly host: { perform(record: ImportRecord, op: RemoteOp): unknown };
  readonly record: ImportRecord;
  methods: Map<string, MethodState> | undefined;
}

export interface MethodState {
  readonly owner: StubOwner;
  readonly key: string;
  /** The proxy itself: method calls name its id, so it must stay alive while the stub does. */
  readonly parent: object;
  /** The function proxy the member was read as, and its record. */
  readonly fn: object;
  readonly fnRecord: ImportRecord;
  /** The stub itself (set once it is made). */
  stub: object;
}

type StateTarget = () => MethodState;

const methodStates = new WeakMap<object, MethodState>();

/** The function a method stub stands for, or undefined for anything else. */
export function stubbedFunction(value: unknown): object | undefined {
  return typeof value === 'function' ? methodStates.get(value)?.fn : undefined;
}

/** Drops the stub of `state` from its proxy's cache (if it is still the cached one). */
function forgetStub(state: MethodState): void {
  if (state.owner.methods?.get(state.key) === state) state.owner.methods.delete(state.key);
}

/**
 * `proxy.key(args)` / `new proxy.key(args)`: one round trip that names the function the stub was
 * read as (`expect`). The peer calls it only if the member still is that function; otherwise it
 * answers STALE, and this does what JavaScript does: read the member, then call it.
 */
function callMember(state: MethodState, op: 'call' | 'new', args: unknown[]): unknown {
  const { host, record } = state.owner;
  const path = [state.key];
  if (!state.fnRecord.released) {
    const result = host.perform(record, { op, path, args, expect: state.fnRecord.id });
    if (result !== STALE) return result;
  }
  forgetStub(state);
  const current = host.perform(record, { op: 'get', path });
  if (typeof current !== 'function') throw notAFunctionError(state.key);
  if (op === 'new') return Reflect.construct(current as new (...a: unknown[]) => object, args);
  return Reflect.apply(current as (...a: unknown[]) => unknown, state.parent, args);
}

const stubLabel = (state: MethodState): string => `[remote method ${state.key} of #${state.owner.record.id}]`;

const methodTraps: ProxyHandler<StateTarget> = {
  ...refusingTraps,
  get(target, key) {
    const state = target();
    const local = localMember(key, state, true, stubLabel);
    if (local !== REMOTE) return local;
    return Reflect.get(state.fn, key);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    return Reflect.set(target().fn, key, value);
  },
  apply(target, thisArg, args) {
    const state = target();
    // Any other `this` (`fn.call(other)`, a detached `fn()`): the function as read, with that this.
    if (thisArg !== state.parent) return Reflect.apply(state.fn as (...a: unknown[]) => unknown, thisArg, args);
    return callMember(state, 'call', args);
  },
  construct(target, args) {
    return callMember(target(), 'new', args) as object;
  },
};

/** Makes the stub of member `key` of `owner`, read as function `fn`, and caches it there. */
export function methodStub(owner: StubOwner, key: string, parent: object, fn: object, fnRecord: ImportRecord): object {
  const state: MethodState = { owner, key, parent, fn, fnRecord, stub: undefined as unknown as object };
  state.stub = new Proxy<StateTarget>(
    callableTarget(function method() {
      return state;
    }),
    methodTraps,
  );
  methodStates.set(state.stub, state);
  (owner.methods ??= new Map()).set(key, state);
  return state.stub;
}
