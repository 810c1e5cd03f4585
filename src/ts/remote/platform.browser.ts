/**
 * platform.ts for browser builds (package.json "browser" field): the same exports without
 * node:util, node:events or Buffer, so `weakwire/remote` bundles for a page, a web worker or a
 * sandboxed Electron renderer.
 * - `types`: the checks the remote layer makes, by brand checks (a built-in getter that throws
 *   for anything without the internal slot) instead of V8's own. `isProxy` knows only the proxies
 *   this module's `Proxy` made: a page cannot tell another proxy from its target.
 * - `EventEmitter`: the part of Node's that clients, sessions and servers use and document, with
 *   the same `'error'` rule (emitted with no listener, it throws).
 */
import { ArrayBuffer, Map, Object, Promise, Proxy as HostProxy, Reflect, Set, Uint8Array, setTimeout } from './builtins';

const proxies = new WeakSet<object>();

/** Makes proxies as the host's Proxy does, and remembers them for `types.isProxy`. */
export const Proxy = function Proxy(target: object, handler: ProxyHandler<object>): object {
  const proxy = new HostProxy(target, handler);
  proxies.add(proxy);
  return proxy;
} as unknown as ProxyConstructor;

const toStringTag = Object.prototype.toString;

/** A check that `getter` accepts `value` as its receiver (it throws for anything else). */
function brand(getter: ((this: unknown) => unknown) | undefined): (value: unknown) => boolean {
  if (getter === undefined) return () => false;
  return (value) => {
    if (typeof value !== 'object' || value === null) return false;
    try {
      Reflect.apply(getter, value, []);
      return true;
    } catch {
      return false;
    }
  };
}

function getterOf(prototype: object, key: string | symbol): ((this: unknown) => unknown) | undefined {
  return Object.getOwnPropertyDescriptor(prototype, key)?.get;
}

const hasDateSlot = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  try {
    Date.prototype.getTime.call(value);
    return true;
  } catch {
    return false;
  }
};
const hasRegExpSlot = brand(getterOf(RegExp.prototype, 'source'));
/** %TypedArray%.prototype[@@toStringTag]: the kind of a typed array, undefined for anything else. */
const typedArrayTag = getterOf(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);

export const types = {
  isProxy: (value: unknown): boolean => typeof value === 'object' || typeof value === 'function' ? proxies.has(value as object) : false,
  isDate: hasDateSlot,
  // RegExp.prototype's `source` getter answers for RegExp.prototype itself, which is no RegExp.
  isRegExp: (value: unknown): boolean => value !== RegExp.prototype && hasRegExpSlot(value),
  isMap: brand(getterOf(Map.prototype, 'size')),
  isSet: brand(getterOf(Set.prototype, 'size')),
  isUint8Array: (value: unknown): boolean =>
    typedArrayTag !== undefined && typeof value === 'object' && value !== null && Reflect.apply(typedArrayTag, value, []) === 'Uint8Array',
  // Throws for a SharedArrayBuffer too, as types.isArrayBuffer is false for one.
  isArrayBuffer: brand(getterOf(ArrayBuffer.prototype, 'byteLength')),
  isSharedArrayBuffer: brand(
    typeof SharedArrayBuffer === 'function' ? getterOf(SharedArrayBuffer.prototype, 'byteLength') : undefined,
  ),
  /**
   * No built-in reads a promise's slot without side effects, so: a promise of this realm (or one
   * that says it is one), never a proxy this layer made (a peer's object whose `then` would be a
   * request).
   */
  isPromise: (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    !proxies.has(value) &&
    (value instanceof Promise || toStringTag.call(value) === '[object Promise]'),
  isNativeError: (value: unknown): boolean =>
    typeof value === 'object' && value !== null && !proxies.has(value) && toStringTag.call(value) === '[object Error]',
};

/** The key Node.js's `util.inspect` reads; harmless elsewhere (and read by Node-aware tools). */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** A handle `clearImmediate` takes. */
export interface Immediate {
  cancelled: boolean;
}

type Task = () => void;

interface ChannelLike {
  port1: { onmessage: ((event: unknown) => void) | null; unref?: () => void };
  port2: { postMessage(message: unknown): void };
}

let post: ((task: Immediate & { run: Task }) => void) | undefined;

/** A message to ourselves is a task without setTimeout's clamping (4 ms after a few nestings). */
function pickPost(): (task: Immediate & { run: Task }) => void {
  const MessageChannel = (globalThis as unknown as { MessageChannel?: new () => ChannelLike }).MessageChannel;
  const run = (task: Immediate & { run: Task }): void => {
    if (!task.cancelled) task.run();
  };
  if (typeof MessageChannel !== 'function') return (task) => void setTimeout(() => run(task), 0);
  const channel = new MessageChannel();
  const queue: Array<Immediate & { run: Task }> = [];
  channel.port1.onmessage = () => {
    const task = queue.shift();
    if (task !== undefined) run(task);
  };
  // Node.js (where this module is tested) keeps a process alive for a port that listens.
  channel.port1.unref?.();
  return (task) => {
    queue.push(task);
    channel.port2.postMessage(null);
  };
}

/** Runs `task` on a later turn of the event loop. */
export function setImmediate(task: Task): Immediate {
  const handle = { cancelled: false, run: task };
  (post ??= pickPost())(handle);
  return handle;
}

export function clearImmediate(handle: Immediate): void {
  handle.cancelled = true;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Uint8Array(128).fill(255);
for (let i = 0; i < BASE64.length; i++) VALUES[BASE64.charCodeAt(i)] = i;
// The URL-safe alphabet too, as Node.js reads it.
VALUES['-'.charCodeAt(0)] = 62;
VALUES['_'.charCodeAt(0)] = 63;

/** `bytes` as base64 text. */
export function toBase64(bytes: ArrayBufferView | ArrayBuffer): string {
  const view =
    bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let out = '';
  let i = 0;
  for (; i + 2 < view.length; i += 3) {
    const n = (view[i] << 16) | (view[i + 1] << 8) | view[i + 2];
    out += BASE64[n >> 18] + BASE64[(n >> 12) & 63] + BASE64[(n >> 6) & 63] + BASE64[n & 63];
  }
  if (i + 1 === view.length) {
    const n = view[i] << 16;
    out += BASE64[n >> 18] + BASE64[(n >> 12) & 63] + '==';
  } else if (i + 2 === view.length) {
    const n = (view[i] << 16) | (view[i + 1] << 8);
    out += BASE64[n >> 18] + BASE64[(n >> 12) & 63] + BASE64[(n >> 6) & 63] + '=';
  }
  return out;
}

/**
 * Base64 text as bytes, read as Node.js reads it: characters outside the alphabet are skipped,
 * the text ends at the first `=`, and a lone trailing character is dropped.
 */
export function fromBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let length = 0;
  let bits = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 61) break; // '='
    const value = code < 128 ? VALUES[code] : 255;
    if (value === 255) continue;
    bits = (bits << 6) | value;
    count++;
    if (count === 4) {
      out[length++] = (bits >> 16) & 255;
      out[length++] = (bits >> 8) & 255;
      out[length++] = bits & 255;
      bits = 0;
      count = 0;
    }
  }
  if (count === 2) out[length++] = (bits >> 4) & 255;
  else if (count === 3) {
    out[length++] = (bits >> 10) & 255;
    out[length++] = (bits >> 2) & 255;
  }
  return out.slice(0, length);
}

/** There are no Buffers here. */
export function isBuffer(_value: unknown): _value is Uint8Array {
  return false;
}

/** There are no Buffers here: a Node.js Buffer from a peer arrives as a Uint8Array. */
export function bufferOver(bytes: Uint8Array): Uint8Array {
  return bytes;
}

/** A Node.js Buffer from a peer arrives as a Uint8Array (a copy). */
export function toBuffer(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

type Listener = (...args: any[]) => void;
/** A `once` listener: the wrapper registered, which knows the listener it stands for. */
type Entry = Listener & { listener?: Listener };

/**
 * The part of Node's EventEmitter that RemoteClient, RemoteSession and RemoteServer are: listeners
 * run synchronously in the order they were added, `emit` works on a copy (a listener that removes
 * or adds listeners does not change the current emit), `once` listeners can be removed by the
 * function given, and `emit('error')` with no listener throws the error (or an Error saying what
 * was emitted).
 */
export class EventEmitter {
  private events = new Map<string | symbol, Entry[]>();

  on(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, false);
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  prependListener(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, true);
  }

  once(event: string | symbol, listener: Listener): this {
    checkListener(listener);
    const wrapper: Entry = (...args: unknown[]) => {
      this.removeListener(event, wrapper);
      Reflect.apply(listener, this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  private add(event: string | symbol, listener: Listener, first: boolean): this {
    checkListener(listener);
    const list = this.events.get(event);
    if (list === undefined) this.events.set(event, [listener]);
    else if (first) list.unshift(listener);
    else list.push(listener);
    return this;
  }

  /** Removes the most recently added registration of `listener` (or of a `once` wrapping it). */
  removeListener(event: string | symbol, listener: Listener): this {
    checkListener(listener);
    const list = this.events.get(event);
    if (list === undefined) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        list.splice(i, 1);
        if (list.length === 0) this.events.delete(event);
        break;
      }
    }
    return this;
  }

  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.events.clear();
    else this.events.delete(event);
    return this;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.events.get(event);
    if (list === undefined) {
      if (event === 'error') {
        const error = args[0];
        if (error instanceof Error) throw error;
        throw new Error(`Unhandled error. (${describe(error)})`, { cause: error });
      }
      return false;
    }
    for (const listener of list.slice()) Reflect.apply(listener, this, args);
    return true;
  }

  listenerCount(event: string | symbol): number {
    return this.events.get(event)?.length ?? 0;
  }

  listeners(event: string | symbol): Listener[] {
    return (this.events.get(event) ?? []).map((entry) => entry.listener ?? entry);
  }

  eventNames(): Array<string | symbol> {
    return [...this.events.keys()];
  }

  /** Node warns past a count of listeners; nothing here does, so this only keeps the API. */
  setMaxListeners(_n: number): this {
    return this;
  }
}

function checkListener(listener: unknown): void {
  if (typeof listener !== 'function') {
    throw new TypeError(`The "listener" argument must be of type function. Received ${describe(listener)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
