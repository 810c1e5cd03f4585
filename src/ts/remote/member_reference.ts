/**
 * Member references of async proxies: `proxy.a.b.c` is one reference to a member path, and costs
 * nothing until it is used. Awaiting it reads the path in one round trip, calling it calls the
 * method at the path (`this` is the object holding it), `new` constructs, and assigning a member
 * of it (`proxy.a.b = v`) writes. References are made per member access, so they share one
 * handler and keep their state in their target; each parent keeps a few of its children, so a
 * hot `proxy.method(...)` reuses one reference.
 */
import { Map, Promise, WeakMap } from './builtins';
import { Proxy } from './platform';
import { callableTarget, LABEL, localMember, REMOTE, refuse, refusingTraps } from './proxy_common';
import type { RemoteOp } from './remote_op';
import { currentTimeoutOverride } from './requests';

/** Where the operations of a member path go: a proxy's remote object, or a pipelined result. */
export interface PathRoot {
  /** The session the root belongs to. */
  readonly host: object;
  /** Performs `op`, whose path starts at the root; async: a promise or a pipelined result. */
  perform(op: RemoteOp): unknown;
  /** Names the root in labels: `#3`, `the result of #3.open`. */
  readonly label: string;
  /** Kept alive by every reference under it, so that the root's FREE cannot overtake a request. */
  readonly keepAlive: object;
  /** Children made from the root itself (the first member names). */
  children: Map<string, object> | undefined;
}

interface MemberState {
  readonly root: PathRoot;
  readonly path: readonly string[];
  /** The `withTimeout` in force when the reference was made: its read happens later. */
  readonly timeoutMs: number | undefined;
  /** Keeps the root alive while this reference lives (the root's proxy, or pipelined result). */
  readonly keepAlive: object;
  children: Map<string, object> | undefined;
}

/** Children kept per reference: enough for the members code uses, not a cache of every key. */
const MAX_CHILDREN = 32;

type StateTarget = () => MemberState;

const states = new WeakMap<object, MemberState>();

/** The state of a member reference, or undefined for anything else. */
export function memberStateOf(value: unknown): { readonly root: PathRoot; readonly path: readonly string[] } | undefined {
  return typeof value === 'function' ? states.get(value) : undefined;
}

function labelOf(state: MemberState): string {
  return `[remote member ${state.path.join('.')} of ${state.root.label}]`;
}

const memberTraps: ProxyHandler<StateTarget> = {
  ...refusingTraps,
  get(target, key) {
    const state = target();
    switch (key) {
      case 'then':
        return (ok?: (v: unknown) => unknown, no?: (e: unknown) => unknown) => read(state).then(ok, no);
      case 'catch':
        return (no?: (e: unknown) => unknown) => read(state).catch(no);
      case 'finally':
        return (fn?: () => void) => read(state).finally(fn);
    }
    const local = localMember(key, state, true, labelOf);
    if (local !== REMOTE) return local;
    return child(state.root, state, key as string);
  },
  set(target, key, value) {
    if (typeof key === 'symbol') refuse('symbol keys');
    const state = target();
    // Sent in order with every later operation; a failure nobody awaits goes to the session's
    // 'error' channel.
    state.root.perform({ op: 'set', path: [...state.path, key], value });
    return true;
  },
  apply(target, _thisArg, args) {
    const state = target();
    return state.root.perform({ op: 'call', path: state.path, args });
  },
  construct(target, args) {
    const state = target();
    return state.root.perform({ op: 'new', path: state.path, args }) as object;
  },
};

function read(state: MemberState): Promise<unknown> {
  return state.root.perform({ op: 'get', path: state.path, timeoutMs: state.timeoutMs }) as Promise<unknown>;
}

/**
 * The reference to member `key` of `parent` (the root itself when `parent` is undefined): reused
 * when the parent already has it, unless a `withTimeout` is in force (its timeout belongs to
 * this reference alone).
 */
export function child(root: PathRoot, parent: MemberState | undefined, key: string): object {
  const timeoutMs = currentTimeoutOverride();
  const holder: { children: Map<string, object> | undefined } = parent ?? root;
  if (timeoutMs === undefined) {
    const known = holder.children?.get(key);
    if (known !== undefined) return known;
  }
  const state: MemberState = {
    root,
    path: parent === undefined ? [key] : [...parent.path, key],
    timeoutMs,
    keepAlive: root.keepAlive,
    children: undefined,
  };
  const reference = new Proxy<StateTarget>(
    callableTarget(function member() {
      return state;
    }),
    memberTraps,
  );
  states.set(reference, state);
  if (timeoutMs === undefined && (holder.children?.size ?? 0) < MAX_CHILDREN) {
    (holder.children ??= new Map()).set(key, reference);
  }
  return reference;
}

export { LABEL };
