/**
 * Node.js reads an IPC channel in the pipe's read callback, before any 'message' listener runs.
 * When it cannot read a message there (a structured clone nested deeper than V8's deserializer
 * can follow on its stack, bytes that are no serialized value, a line that is not JSON), the
 * error it throws is uncaught and ends the process. A peer process could end ours with one
 * message, whatever our listeners do.
 *
 * While a weakwire transport is attached to a channel, this guard wraps the channel handle's read
 * callback. A message Node cannot read then ends the channel instead of the process: every
 * transport on it closes with ERR_REMOTE_PROTOCOL naming the cause, and the channel is
 * disconnected, because Node's reader has no supported way to skip a message and its state after
 * the throw is its own (in 'json' mode it keeps a stale part of the line it was reading).
 *
 * Messages Node does read can end the process too, in Node's own handler of internal messages:
 * an acknowledgement of a handle (NODE_HANDLE_ACK or _NACK) when none was sent, which it asserts
 * cannot happen; a handle passed along under a type it has no conversion for (or a UDP socket
 * with no socket type); and a real handle passed along as a kind it is not (a connected socket
 * as a server Node then listens on, a UDP socket as a TCP server or stream socket, a stream as a
 * UDP socket), whose failure Node reports as an 'error' event on an object nobody can listen to.
 * The guard sees internal messages first, closes such a handle (or, for a server, makes the
 * server itself and listens for its failure), and ends the channel the same way. It refuses any
 * handle that comes with a weakwire envelope as well (weakwire never sends one, and a transport
 * would never close it), and one that Node would make a socket or server of for an internal
 * message (Node's own internal messages pass raw handles only).
 *
 * A handle that comes with one of the application's messages while only weakwire listens for
 * messages is closed, and the message delivered without it: nobody could take the handle, so it
 * would stay open (a descriptor per message, for as long as the process runs), and a socket or
 * server made of it would report its errors to no listener, which ends the process.
 *
 * The handle is Node's own (`child[kChannelHandle]`, also on `process` in a child). Where it is
 * not found (other runtimes, an emitter that only looks like a ChildProcess), nothing is wrapped
 * and the runtime's reader decides, as before.
 */
import { Server } from 'node:net';
import { Array, JSON, Object, Set, WeakMap } from '../builtins';
import { describeThrown, protocolError } from '../errors';
import type { RemoteError } from '../errors';

type ReadCallback = (this: unknown, ...args: unknown[]) => unknown;

type InternalListener = (message: unknown, handle: unknown) => void;

/** Types of handle Node's IPC reader converts (`handleConversion` in Node's internal/child_process). */
const HANDLE_TYPES = new Set(['net.Native', 'net.Server', 'net.Socket', 'dgram.Native', 'dgram.Socket']);

interface HandleMessage {
  type?: unknown;
  dgramType?: unknown;
  msg?: unknown;
}

/** The methods of a handle from Node's reader (a TCP, Pipe or UDP wrap) that Node's conversions use. */
interface PassedHandle {
  close?(): void;
  listen?: unknown;
  readStart?: unknown;
  recvStart?: unknown;
}

/** Why Node's reader would throw converting the handle `message` passes along, or undefined. */
function unconvertible(message: HandleMessage): string | undefined {
  const { type } = message;
  if (typeof type !== 'string' || !HANDLE_TYPES.has(type)) {
    return `a handle of unknown type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type}`;
  }
  // Node makes the socket with this type before it looks at the handle.
  if (type === 'dgram.Socket' && message.dgramType !== 'udp4' && message.dgramType !== 'udp6') {
    return 'a UDP socket of no socket type';
  }
  return undefined;
}

/**
 * Why Node's conversion of `handle` to `type` would fail before any listener could see it, or
 * undefined. A stream socket reads from the handle, a UDP socket takes it over by its receive
 * method (or, without one, throws on its descriptor), a server listens on it (whether it can is
 * found out by listening: see `takeServer`).
 */
function unusable(type: string, handle: PassedHandle): string | undefined {
  if (type === 'net.Socket' && typeof handle.readStart !== 'function') {
    return 'a handle that is no stream passed as net.Socket';
  }
  if (type === 'dgram.Socket' && typeof handle.recvStart !== 'function') {
    return 'a handle that is no UDP socket passed as dgram.Socket';
  }
  if (type === 'net.Server' && typeof handle.listen !== 'function') {
    return 'a handle that cannot listen passed as net.Server';
  }
  return undefined;
}

/** Conversions that make an object emitting 'error' events of the handle (the others pass it on raw). */
const EMITTING_TYPES = new Set(['net.Server', 'net.Socket', 'dgram.Socket']);

/** Whether Node delivers `msg` as an 'internalMessage' (its test in internal/child_process). */
function isInternal(msg: unknown): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  const cmd = (msg as { cmd?: unknown }).cmd;
  return typeof cmd === 'string' && cmd.length > 4 && cmd.startsWith('NODE_');
}

/** Whether `msg` is a weakwire envelope (any channel's): the key is fixed, the channel its value. */
function isWeakwireEnvelope(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && typeof (msg as { weakwire?: unknown }).weakwire === 'string';
}

/** Why the guard refuses the handle `message` passes along (see above), or undefined. */
function refusal(message: HandleMessage, handle: PassedHandle): string | undefined {
  const { msg } = message;
  return (
    unconvertible(message) ??
    (isWeakwireEnvelope(msg) ? 'a handle with a weakwire message' : undefined) ??
    (EMITTING_TYPES.has(message.type as string) && isInternal(msg)
      ? 'a handle made a socket or server for an internal message'
      : undefined) ??
    unusable(message.type as string, handle)
  );
}

function closeQuietly(handle: PassedHandle): void {
  try {
    handle.close?.();
  } catch {
    // A handle that will not close is the peer's problem, not a reason to stop.
  }
}

/** The part of a ChildProcess (or a child's `process`) the guard uses. */
interface IpcEndpoint {
  readonly connected?: boolean;
  disconnect?(): void;
  prependListener?(event: string, listener: InternalListener): unknown;
  removeListener?(event: string, listener: InternalListener): unknown;
  listeners?(event: string): readonly unknown[];
  emit?(event: string, ...args: unknown[]): unknown;
  /** Node's queue of messages waiting for a handle's acknowledgement; an array only while one is awaited. */
  _handleQueue?: unknown;
}

interface ChannelHandle {
  onread: ReadCallback;
  /** Node's flag for a message read in part; a disconnect waits for the rest while it is set. */
  buffering?: boolean;
}

/** What a transport is told when the channel ends this way. */
export type UnreadableListener = (error: RemoteError) => void;

interface Guard {
  readonly original: ReadCallback;
  readonly wrapper: ReadCallback;
  readonly listeners: Set<UnreadableListener>;
  /** The transports' own 'message' listeners: the ones that never take a handle. */
  readonly readers: Set<unknown>;
  readonly onInternal: InternalListener;
  /** Set once Node's reader threw: from then on its state is not to be trusted. */
  broken: boolean;
}

const guards = new WeakMap<ChannelHandle, Guard>();

/** Node's description of the symbol under which a ChildProcess and a child's `process` keep the channel handle. */
const HANDLE_SYMBOL = 'kChannelHandle';

function channelHandleOf(endpoint: object): ChannelHandle | undefined {
  for (const symbol of Object.getOwnPropertySymbols(endpoint)) {
    if (symbol.description !== HANDLE_SYMBOL) continue;
    const handle = (endpoint as Record<symbol, unknown>)[symbol];
    if (typeof handle === 'object' && handle !== null && typeof (handle as ChannelHandle).onread === 'function') {
      return handle as ChannelHandle;
    }
  }
  return undefined;
}

function install(handle: ChannelHandle, endpoint: IpcEndpoint): Guard {
  const original = handle.onread;
  const listeners = new Set<UnreadableListener>();
  const readers = new Set<unknown>();
  const connected = (): boolean => endpoint.connected !== false;
  /** Ends the channel for a message Node could not read, described by `cause`. */
  const end = (cause: string): void => {
    guard.broken = true;
    const closed = protocolError(
      `the peer process sent a message Node.js could not read (${cause}); the IPC channel was disconnected`,
    );
    try {
      // The transports close first, so they report this error rather than the disconnect.
      for (const listener of Array.from(listeners)) listener(closed);
    } finally {
      // The message that ended the channel is gone: a disconnect must not wait for the rest of it.
      handle.buffering = false;
      try {
        if (connected()) endpoint.disconnect?.();
      } catch {
        // Already disconnected: nothing more to end.
      }
    }
  };
  /**
   * Does what Node's conversion of a handle to `net.Server` does (a new server listening on it,
   * handed to the 'message' listeners once it listens), with a listener for the failure Node
   * would report to no one: a connected socket cannot listen (EINVAL). Node's server closes the
   * handle it failed to listen on (for a Unix socket, one it made on the same descriptor; the
   * handle passed is then Node's leftover, its descriptor closed), and the channel ends.
   */
  const takeServer = (msg: unknown, handle: unknown): void => {
    const server = new Server();
    const failed = (error: unknown): void => {
      const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      end(`a socket that cannot listen (${typeof code === 'string' ? code : describeThrown(error)}) passed as net.Server`);
    };
    server.once('error', failed);
    server.listen(handle as never, () => {
      server.removeListener('error', failed);
      endpoint.emit?.('message', msg, server);
    });
  };
  /** Whether a 'message' listener other than the transports' own would receive a handle. */
  const othersListen = (): boolean => {
    const all = endpoint.listeners?.('message');
    // An endpoint that cannot list its listeners is taken to have others.
    if (!Array.isArray(all)) return true;
    for (let i = 0; i < all.length; i++) if (!readers.has(all[i])) return true;
    return false;
  };
  /**
   * A handle passed along, before Node's handler converts it by its type, unchecked. Node is
   * given the conversion that passes the handle on raw where the guard takes over: with a message
   * for no one when the handle is refused (closed; the channel ends after Node's handler, which
   * first acknowledges the handle) or made a server here, with its own message when nobody would
   * take it (closed; the message goes on as if it came alone).
   */
  const onHandle = (message: HandleMessage, passed: PassedHandle): void => {
    const refused = refusal(message, passed);
    if (refused !== undefined) {
      Object.assign(message, { type: 'net.Native', msg: { cmd: 'NODE_WEAKWIRE_REFUSED' } });
      closeQuietly(passed);
      process.nextTick(end, refused);
      return;
    }
    const { msg } = message;
    if (!isInternal(msg) && !othersListen()) {
      message.type = 'net.Native';
      closeQuietly(passed);
      return;
    }
    if (message.type === 'net.Server') {
      takeServer(msg, passed);
      Object.assign(message, { type: 'net.Native', msg: { cmd: 'NODE_WEAKWIRE_TAKEN' } });
    }
  };
  const wrapper: ReadCallback = function guardedRead(this: unknown, ...args: unknown[]): unknown {
    // After a throw, what Node still holds of the stream is the peer's: bytes are dropped, and the
    // end of the stream goes to Node only while it has not been told to disconnect (else it would
    // report that disconnect as an 'error' event nobody listens to).
    if (guard.broken && (args[0] !== undefined || !connected())) return undefined;
    try {
      return original.apply(this, args);
    } catch (error) {
      end(describeThrown(error));
      return undefined;
    }
  };
  // Runs before Node's handler of the same message (prepended), which then finds the empty queue
  // it asserts and has nothing to send.
  const onInternal = (message: unknown, passed: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const cmd = (message as { cmd?: unknown }).cmd;
    if (cmd === 'NODE_HANDLE') {
      if (passed !== undefined && passed !== null) onHandle(message as HandleMessage, passed as PassedHandle);
      return;
    }
    if (cmd !== 'NODE_HANDLE_ACK' && cmd !== 'NODE_HANDLE_NACK') return;
    if (Array.isArray(endpoint._handleQueue)) return;
    endpoint._handleQueue = [];
    end(`${cmd} for no handle sent`);
  };
  handle.onread = wrapper;
  endpoint.prependListener?.('internalMessage', onInternal);
  const guard: Guard = { original, wrapper, listeners, readers, onInternal, broken: false };
  guards.set(handle, guard);
  return guard;
}

/**
 * Guards `endpoint`'s IPC channel while `listener` is attached; returns the function that
 * detaches it. `reader` is the transport's own 'message' listener, which takes no handle. The
 * last detach puts Node's read callback back, unless Node replaced it since (as it does when the
 * channel ends) or its reader threw. Returns undefined when there is no channel handle to guard.
 */
export function guardIpcReader(
  endpoint: IpcEndpoint,
  listener: UnreadableListener,
  reader: unknown,
): (() => void) | undefined {
  const handle = channelHandleOf(endpoint);
  if (handle === undefined) return undefined;
  let guard = guards.get(handle);
  // A guard whose wrapper Node has since replaced (a channel that ended) no longer guards.
  if (guard === undefined || handle.onread !== guard.wrapper) {
    if (guard !== undefined) endpoint.removeListener?.('internalMessage', guard.onInternal);
    guard = install(handle, endpoint);
  }
  const current = guard;
  current.listeners.add(listener);
  current.readers.add(reader);
  return () => {
    if (!current.listeners.delete(listener)) return;
    current.readers.delete(reader);
    if (current.listeners.size > 0) return;
    // A broken channel keeps its guard until Node closes it.
    if (current.broken) return;
    if (guards.get(handle) === current) guards.delete(handle);
    if (handle.onread === current.wrapper) handle.onread = current.original;
    endpoint.removeListener?.('internalMessage', current.onInternal);
  };
}
