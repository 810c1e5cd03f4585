/**
 * `weakwire/weak`: the weak-napi / node-weak API on weakwire's native weak handles.
 *
 * `const weak = require('weakwire/weak'); const ref = weak(obj, callback)` gives a proxy that
 * forwards to `obj` while it lives and behaves as an empty object once it is collected; the
 * callbacks run on the event loop after the collection. See docs/migrating-from-weak-napi.md.
 * @packageDocumentation
 */
import { EventEmitter } from 'node:events';

import { binding, type NativeIDWeakMap } from '../binding';
import { setDestructor } from '../weak_handle';

/** The emitter event the callbacks listen on (weak-napi's name). */
const EVENT = 'dead';

/**
 * Targets by reference id. A native weak reference, not a `WeakRef`: reading a `WeakRef` keeps
 * its target alive until the current job ends, so `obj = null; gc(); weak.isDead(ref)` would
 * still be false in the same synchronous block, where weak-napi users expect true.
 */
const targets: NativeIDWeakMap = new binding.IDWeakMap();
let lastId = 0;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * One weak reference's state, and the proxy's target. It has no own properties (only private
 * fields), so the proxy invariants, which are checked against it, allow forwarding anything.
 * Its prototype and own keys change only when it must mirror a non-extensible target.
 */
class Shadow {
  readonly #map: NativeIDWeakMap;
  readonly #id: number;
  /** Callbacks, until an emitter exists; then they live in the emitter. */
  #pending: weak.Callback[] | undefined = undefined;
  #emitter: EventEmitter | undefined = undefined;
  #armed = false;

  constructor(map: NativeIDWeakMap, id: number) {
    this.#map = map;
    this.#id = id;
  }

  /** The live target, or undefined once it was collected. */
  static target(shadow: Shadow): object | undefined {
    return shadow.#map.get(shadow.#id);
  }

  /**
   * Arms the one native destructor of this reference, if the target still lives. It holds the
   * shadow (which does not reach the target), so the callbacks run even if the proxy is dropped.
   */
  static #arm(shadow: Shadow): void {
    if (shadow.#armed) return;
    shadow.#armed = true;
    const target = Shadow.target(shadow);
    if (target !== undefined) setDestructor(target, fire, shadow);
  }

  static addCallback(shadow: Shadow, callback: weak.Callback): void {
    if (shadow.#emitter !== undefined) {
      shadow.#emitter.on(EVENT, callback);
    } else {
      (shadow.#pending ??= []).push(callback);
    }
    Shadow.#arm(shadow);
  }

  static callbacks(shadow: Shadow): weak.Callback[] {
    if (shadow.#emitter !== undefined) return shadow.#emitter.listeners(EVENT) as weak.Callback[];
    return shadow.#pending === undefined ? [] : shadow.#pending.slice();
  }

  /**
   * The reference's EventEmitter. Made only when asked for (it costs more than the rest of a
   * reference); from then on it holds the callbacks, so ones added to it directly run too.
   */
  static emitter(shadow: Shadow): EventEmitter {
    if (shadow.#emitter !== undefined) return shadow.#emitter;
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    for (const callback of shadow.#pending ?? []) emitter.on(EVENT, callback);
    shadow.#pending = undefined;
    shadow.#emitter = emitter;
    Shadow.#arm(shadow);
    return emitter;
  }
}

/**
 * Runs every callback once, in the order added, with the emitter as `this` (as weak-napi and
 * node-weak do). Unlike `emit`, one throwing callback does not stop the others: the first error
 * is rethrown for the native dispatcher to report as 'uncaughtException', later ones are thrown
 * from their own ticks so each is reported too.
 */
function fire(shadow: Shadow): void {
  const emitter = Shadow.emitter(shadow);
  const listeners = emitter.rawListeners(EVENT) as weak.Callback[];
  const errors: unknown[] = [];
  for (const listener of listeners) {
    try {
      Reflect.apply(listener, emitter, []);
    } catch (error) {
      errors.push(error);
    }
  }
  for (let i = 1; i < errors.length; i++) {
    const error = errors[i];
    process.nextTick(() => {
      throw error;
    });
  }
  if (errors.length > 0) throw errors[0];
}

/**
 * Makes `shadow` mirror a non-extensible `target`: same prototype, a configurable placeholder
 * (value undefined) per own key, then non-extensible. The placeholders hold no values, so the
 * proxy keeps nothing of the target alive; a placeholder is deleted once the target loses it.
 */
function mirrorNonExtensible(shadow: Shadow, target: object): void {
  Reflect.setPrototypeOf(shadow, Reflect.getPrototypeOf(target));
  for (const key of Reflect.ownKeys(target)) {
    Reflect.defineProperty(shadow, key, {
      value: undefined,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
  Reflect.preventExtensions(shadow);
}

/** For a non-extensible shadow: drops the placeholder of a key the target (if any) no longer has. */
function prune(shadow: Shadow, target: object | undefined, key: string | symbol): void {
  if (Reflect.isExtensible(shadow) || !Object.hasOwn(shadow, key)) return;
  if (target === undefined || Reflect.getOwnPropertyDescriptor(target, key) === undefined) {
    Reflect.deleteProperty(shadow, key);
  }
}

function pruneAll(shadow: Shadow, target: object | undefined): void {
  if (Reflect.isExtensible(shadow)) return;
  for (const key of Reflect.ownKeys(shadow)) prune(shadow, target, key);
}

/**
 * A proxy's target may only be reported non-configurable properties it has itself; copying them
 * onto the shadow would hold their values strongly. So the reference reports every property of
 * the target as configurable, and refuses to define a non-configurable one.
 */
function asConfigurable(descriptor: PropertyDescriptor | undefined): PropertyDescriptor | undefined {
  if (descriptor === undefined || descriptor.configurable === true) return descriptor;
  return { ...descriptor, configurable: true };
}

const handler: ProxyHandler<Shadow> = {
  get(shadow, key) {
    const target = Shadow.target(shadow);
    return target === undefined ? undefined : Reflect.get(target, key);
  },
  set(shadow, key, value) {
    const target = Shadow.target(shadow);
    return target === undefined ? true : Reflect.set(target, key, value);
  },
  deleteProperty(shadow, key) {
    const target = Shadow.target(shadow);
    const deleted = target === undefined ? true : Reflect.deleteProperty(target, key);
    prune(shadow, target, key);
    return deleted;
  },
  has(shadow, key) {
    const target = Shadow.target(shadow);
    prune(shadow, target, key);
    return target === undefined ? false : Reflect.has(target, key);
  },
  ownKeys(shadow) {
    const target = Shadow.target(shadow);
    pruneAll(shadow, target);
    return target === undefined ? [] : Reflect.ownKeys(target);
  },
  getOwnPropertyDescriptor(shadow, key) {
    const target = Shadow.target(shadow);
    prune(shadow, target, key);
    return target === undefined
      ? undefined
      : asConfigurable(Reflect.getOwnPropertyDescriptor(target, key));
  },
  defineProperty(shadow, key, descriptor) {
    const target = Shadow.target(shadow);
    if (target === undefined || descriptor.configurable === false) return false;
    return Reflect.defineProperty(target, key, descriptor);
  },
  getPrototypeOf(shadow) {
    const target = Shadow.target(shadow);
    if (target !== undefined) return Reflect.getPrototypeOf(target);
    // A shadow made non-extensible keeps the prototype it mirrored; the invariant wants that one.
    return Reflect.isExtensible(shadow) ? null : Reflect.getPrototypeOf(shadow);
  },
  setPrototypeOf(shadow, proto) {
    const target = Shadow.target(shadow);
    return target === undefined ? false : Reflect.setPrototypeOf(target, proto);
  },
  isExtensible(shadow) {
    const target = Shadow.target(shadow);
    if (target !== undefined && Reflect.isExtensible(shadow) && !Reflect.isExtensible(target)) {
      mirrorNonExtensible(shadow, target);
    }
    return Reflect.isExtensible(shadow);
  },
  preventExtensions(shadow) {
    const target = Shadow.target(shadow);
    if (target === undefined) {
      pruneAll(shadow, undefined);
      return Reflect.preventExtensions(shadow);
    }
    if (!Reflect.preventExtensions(target)) return false;
    if (Reflect.isExtensible(shadow)) mirrorNonExtensible(shadow, target);
    return true;
  },
};

/** Proxy -> its shadow. Also how `isWeakRef` tells references from other objects. */
const shadows = new WeakMap<object, Shadow>();

function shadowOf(ref: unknown, fn: string): Shadow {
  const shadow = isObject(ref) ? shadows.get(ref) : undefined;
  if (shadow === undefined) {
    const what = isObject(ref) ? 'an object that is not one' : describe(ref);
    throw new TypeError(`weak.${fn}: ref must be a weak reference made by weak(); got ${what}`);
  }
  return shadow;
}

function checkCallback(callback: unknown, fn: string): asserts callback is weak.Callback {
  if (typeof callback !== 'function') {
    throw new TypeError(`weak.${fn}: callback must be a function; got ${describe(callback)}`);
  }
}

/**
 * Makes a weak reference to `target`: a proxy that forwards to it while it lives and acts as an
 * empty object once it has been garbage collected. The reference does not keep `target` alive.
 *
 * `callback`, if given, runs once on the event loop after `target` was collected, with the
 * reference's EventEmitter as `this` and no arguments. It must not capture `target`.
 *
 * @throws TypeError if `target` is not an object or function, or `callback` is neither a
 * function nor undefined/null.
 */
function weak<T extends object>(target: T, callback?: weak.Callback | null): weak.WeakRef<T> {
  if (!isObject(target)) {
    throw new TypeError(`weak: target must be an object or a function; got ${describe(target)}`);
  }
  if (callback !== undefined && callback !== null) checkCallback(callback, 'create');
  const id = ++lastId;
  targets.set(id, target);
  const shadow = new Shadow(targets, id);
  const ref = new Proxy(shadow, handler) as unknown as weak.WeakRef<T>;
  shadows.set(ref, shadow);
  if (callback !== undefined && callback !== null) Shadow.addCallback(shadow, callback);
  return ref;
}

// eslint-disable-next-line @typescript-eslint/no-namespace
namespace weak {
  /** A weak reference to a `T`: property access goes to the target while it lives. */
  export type WeakRef<T extends object = object> = T;

  /** A GC callback: called with no arguments, `this` being the reference's EventEmitter. */
  export type Callback = (this: EventEmitter) => void;

  /** Same function as `weak` itself (`weak.create === weak`). */
  export const create = weak;
  /** node-weak's older name for `create`. */
  export const weaken = weak;

  /** The target, or undefined once it has been collected. */
  export function get<T extends object>(ref: WeakRef<T>): T | undefined {
    return Shadow.target(shadowOf(ref, 'get')) as T | undefined;
  }

  /** True once the target has been collected. */
  export function isDead(ref: WeakRef): boolean {
    return Shadow.target(shadowOf(ref, 'isDead')) === undefined;
  }

  /** Always false, as in weak-napi: Node-API cannot observe "near death". */
  export function isNearDeath(_ref?: unknown): boolean {
    return false;
  }

  /** Whether `value` is a reference made by `weak()` (any value is accepted). */
  export function isWeakRef(value: unknown): value is WeakRef {
    return isObject(value) && shadows.has(value);
  }

  /** Adds a GC callback, run after those added before it. Returns the reference's EventEmitter. */
  export function addCallback(ref: WeakRef, callback: Callback): EventEmitter {
    const shadow = shadowOf(ref, 'addCallback');
    checkCallback(callback, 'addCallback');
    Shadow.addCallback(shadow, callback);
    return Shadow.emitter(shadow);
  }

  /** Removes one registration of `callback`. Returns the reference's EventEmitter. */
  export function removeCallback(ref: WeakRef, callback: Callback): EventEmitter {
    const shadow = shadowOf(ref, 'removeCallback');
    checkCallback(callback, 'removeCallback');
    return Shadow.emitter(shadow).removeListener(EVENT, callback);
  }

  /** Removes every GC callback. Returns the reference's EventEmitter. */
  export function removeCallbacks(ref: WeakRef): EventEmitter {
    return Shadow.emitter(shadowOf(ref, 'removeCallbacks')).removeAllListeners(EVENT);
  }

  /** A copy of the GC callbacks, in the order they will run. */
  export function callbacks(ref: WeakRef): Callback[] {
    return Shadow.callbacks(shadowOf(ref, 'callbacks'));
  }

  /** node-weak's aliases. */
  export const addListener = addCallback;
  export const removeListener = removeCallback;
  export const removeListeners = removeCallbacks;
  export const listeners = callbacks;
}

export = weak;
