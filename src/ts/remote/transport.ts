/**
 * The contract between the remote-object protocol and the pipes it runs over. A transport moves
 * protocol messages (plain JSON-compatible objects, plus `Uint8Array` on transports that say
 * they carry bytes: no functions, no class instances, no undefined inside arrays) between two
 * peers. The protocol layer never sees sockets or ports.
 *
 * Errors follow one taxonomy (`RemoteError` codes): `send` throws ERR_REMOTE_CLOSED once the
 * transport is closed, and ERR_REMOTE_TOO_LARGE / ERR_REMOTE_UNENCODABLE for a message it cannot
 * carry while staying open. A transport closes with ERR_REMOTE_BACKLOG when too much waits for a
 * peer that does not read. See `transports/kit.ts`. On a transport that structured-clones
 * (`clone`), ERR_REMOTE_UNENCODABLE from `send`, from `requestSync` or from a `reply` also says
 * that nothing of that message reached the peer: the session may then encode it another way and
 * send it again (codec/messages.ts, `refusedWhole`).
 */
import { Error } from './builtins';

/** One protocol message: a JSON-compatible object (with `Uint8Array` values where `binary`). */
export type WireMessage = { readonly [key: string]: unknown };

/**
 * What a message that arrived but could not be read still said about itself (a frame the decoder
 * refused, of which the operation and ids could be read): 0 for an id it did not carry.
 */
export interface LostMessage {
  readonly op: string;
  readonly seq: number;
  readonly id: number;
  /** The request asked for its answer to be kept for pipelining. */
  readonly keep: boolean;
}

/** What a transport calls back into. */
export interface TransportHandlers {
  /**
   * A message arrived. `reply` is present when the peer is blocked waiting for the answer to this
   * very message (a synchronous request): it must be called exactly once, soon.
   */
  message(message: WireMessage, reply?: (answer: WireMessage) => void): void;
  /** The pipe closed: the peer closed it, exited or crashed. `error` says why when known. */
  close(error?: Error): void;
  /**
   * An incoming message was lost but the pipe is still usable: it could not be deserialized
   * ('messageerror'), was larger than the cap, or was not valid. Optional. `lost`: what the
   * message still said about itself, when that could be read, so that the request it was can be
   * answered and the answer it was can fail its request.
   */
  problem?(error: Error, lost?: LostMessage): void;
}

export interface Transport {
  /** Short name for error messages and stats, e.g. "worker", "socket". */
  readonly kind: string;
  /**
   * Whether a `Uint8Array` inside a message arrives as a `Uint8Array` (structured clone, binary
   * frames). Binary data then travels as raw bytes; otherwise as base64 text.
   */
  readonly binary?: boolean;
  /**
   * Whether messages go through structured clone (MessagePort, worker-sync, advanced IPC,
   * Electron): any value structured clone copies arrives as its copy. Plain data in a message
   * then travels as it is, not as a tagged tree. Implies `binary`.
   */
  readonly clone?: boolean;
  /**
   * Whether messages travel as MessagePack frames (codec/frames.ts): a tree of plain objects,
   * arrays without holes, strings, numbers other than -0, booleans, null, undefined and whole
   * Uint8Arrays arrives as it was sent. Plain data of those kinds then travels as it is, not as
   * a tagged tree. Implies `binary`. The receiver then trusts that no object arrives twice
   * within a message (a frame decoder makes a new object for every container it reads), and
   * checks clones without a table of the objects met.
   */
  readonly trees?: boolean;
  /**
   * Whether each message costs far more than its bytes (a MessagePort's `postMessage`), so that
   * the session should send the messages of one turn as one `batch` message. The transport
   * itself sees one message either way.
   */
  readonly batches?: boolean;
  /** Starts delivering incoming messages to `handlers`. Called once. */
  start(handlers: TransportHandlers): void;
  /**
   * Sends a message; never blocks. Throws a RemoteError when it cannot (see above). `transfer`
   * lists objects to move rather than copy, where the transport can (it may ignore the list).
   */
  send(message: WireMessage, transfer?: readonly object[]): void;
  /**
   * Sends a message and blocks until the peer answers it through `reply`, for at most
   * `timeoutMs` milliseconds when given and the transport can time out (0: no limit). Only
   * transports that can wait synchronously have it (worker threads over SharedArrayBuffer +
   * Atomics.wait, Electron renderer's ipcRenderer.sendSync). Sync mode requires it.
   */
  requestSync?(message: WireMessage, timeoutMs?: number, transfer?: readonly object[]): WireMessage;
  /** Closes the pipe (idempotent). The peer's transport reports close. */
  close(): void;
  /** Lets the thread exit while the pipe is open (a port's or socket's `unref()`), where it can. */
  unref?(): void;
  /** Undoes `unref()`. */
  ref?(): void;
}
