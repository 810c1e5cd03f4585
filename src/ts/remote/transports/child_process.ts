/**
 * Transport over a child process's IPC channel, for both ends: the parent passes the
 * `ChildProcess` returned by `fork()` (or `spawn()` with an `'ipc'` stdio entry), the child passes
 * `process`. Messages travel in a small envelope tagged with a channel name, so the same IPC
 * channel can carry the application's own messages and several weakwire sessions.
 *
 * Backlog: Node queues what the pipe cannot take yet, and `send()` returns false once about
 * 128 KiB wait. From then until the queue drains, each further message is measured (serialized
 * once more, only while congested) and counted against `maxBufferedBytes`; past it the transport
 * closes with ERR_REMOTE_BACKLOG instead of growing without bound.
 */
import { serialize } from 'node:v8';
import { Error, JSON, Number, TypeError, clearTimeout, setTimeout } from '../builtins';
import type { Transport, WireMessage } from '../transport';
import { protocolError } from '../errors';
import { MAX_TIMEOUT_MS } from '../limits';
import { describeValue } from '../protocol';
import { guardIpcReader } from './ipc_reader_guard';
import { Backlog, BaseTransport, isWireMessage } from './kit';

/**
 * The part of `ChildProcess` (parent side) and `process` (child side) this transport uses. Typed
 * structurally so both fit without casts.
 */
export interface IpcEndpoint {
  send?(message: any, ...rest: any[]): boolean;
  readonly connected?: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  disconnect?(): void;
  /** Present on a `ChildProcess`: lets the parent say how the child ended. */
  readonly pid?: number;
  /** `process.exitCode` (our own, in the child) may be a string too: only the parent reads it. */
  readonly exitCode?: number | string | null;
  readonly signalCode?: NodeJS.Signals | string | null;
}

export interface ChildProcessTransportOptions {
  /**
   * Tags every message, so unrelated IPC traffic is ignored and several sessions can share one
   * process. Both ends must use the same name. Default `"weakwire"`.
   */
  channel?: string;
  /**
   * How long the parent waits, after the IPC channel disconnects, for the child's `exit` event so
   * the close error can name the exit code or signal. Default 500 ms; the wait ends early on exit.
   */
  exitGraceMs?: number;
  /**
   * Bytes allowed to wait, beyond Node's own queue, for a peer that is not reading; past it the
   * transport closes with ERR_REMOTE_BACKLOG. Default 128 MiB.
   */
  maxBufferedBytes?: number;
  /**
   * How the IPC channel serializes, as given to `fork()`: `'advanced'` (structured clone) carries
   * binary data as raw bytes, `'json'` as base64 text. Default `'json'`, which works on both
   * kinds of channel; a receiving end reads both.
   */
  serialization?: 'json' | 'advanced';
}

/** Property that marks a weakwire envelope on a shared IPC channel. */
const TAG = 'weakwire';
const DEFAULT_MAX_BUFFERED = 128 * 1024 * 1024;

interface Envelope {
  weakwire: string;
  message?: WireMessage;
  close?: true;
}

function isEnvelope(value: unknown, channel: string): value is Envelope {
  return typeof value === 'object' && value !== null && (value as { [TAG]?: unknown })[TAG] === channel;
}

function describeExit(pid: number | undefined, code: number | string | null, signal: string | null): string {
  const who = pid === undefined ? 'child process' : `child process ${pid}`;
  if (signal) return `${who} was killed by signal ${signal}`;
  return `${who} exited with code ${code}`;
}

/**
 * The size of `envelope` as Node's IPC serializes it: JSON text on a 'json' channel, V8's
 * serialization format on an 'advanced' one (where JSON would count each byte of binary data as
 * several characters, and take milliseconds per megabyte to say so). 0 if it cannot be measured;
 * Node's own send then fails the same way.
 */
function serializedBytes(envelope: Envelope, advanced: boolean): number {
  try {
    return advanced ? serialize(envelope).length : Buffer.byteLength(JSON.stringify(envelope) ?? '');
  } catch {
    return 0;
  }
}

class ChildProcessTransport extends BaseTransport {
  readonly kind = 'child-process';
  readonly binary: boolean;
  readonly clone: boolean;
  private graceTimer: NodeJS.Timeout | undefined;
  /** True in the parent: a ChildProcess has `signalCode`, `process` has not. */
  private readonly isChildProcess: boolean;
  private readonly backlog: Backlog;
  /** Counted sizes of the messages Node still holds, in send order (0: sent while not congested). */
  private inFlight: number[] = [];
  /** Whether Node's queue passed its threshold; until it drains, messages are counted. */
  private congested = false;
  /** Takes the guard off Node's IPC reader (undefined where there was none to put on). */
  private readonly unguard: (() => void) | undefined;

  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly channel: string,
    private readonly exitGraceMs: number,
    maxBufferedBytes: number,
    serialization: 'json' | 'advanced',
  ) {
    super();
    this.binary = serialization === 'advanced';
    this.clone = this.binary;
    this.backlog = new Backlog(maxBufferedBytes, this.kind, 'maxBufferedBytes');
    this.isChildProcess = 'signalCode' in endpoint;
    // Listen at once: IPC delivers messages whether or not anyone listens, and they wait in the
    // kit until start().
    endpoint.on('message', this.onMessage);
    endpoint.on('disconnect', this.onDisconnect);
    // In the child, process 'exit' is our own exit, not the peer's.
    if (this.isChildProcess) endpoint.on('exit', this.onExit);
    // A message Node's reader cannot read would otherwise end this process (ipc_reader_guard.ts).
    this.unguard = guardIpcReader(endpoint, this.onUnreadable, this.onMessage);
    if (endpoint.connected === false) this.finish(new Error('the IPC channel is already closed'));
  }

  /** The IPC channel (`child.channel`, `process.channel`) keeps the thread alive while it is ref'd. */
  unref(): void {
    (this.endpoint as { channel?: { unref?(): void } | null }).channel?.unref?.();
  }

  ref(): void {
    (this.endpoint as { channel?: { ref?(): void } | null }).channel?.ref?.();
  }

  protected write(message: WireMessage): void {
    const send = this.endpoint.send;
    if (this.endpoint.connected === false || send === undefined) {
      this.finish(new Error('the IPC channel is closed'));
      return;
    }
    const envelope: Envelope = { [TAG]: this.channel, message };
    const bytes = this.congested ? serializedBytes(envelope, this.binary) : 0;
    if (this.congested) {
      const over = this.backlog.exceeded(bytes);
      if (over !== undefined) {
        this.finish(over);
        return;
      }
      this.backlog.add(bytes);
    }
    // The callback keeps an asynchronous send failure from becoming an unhandled 'error' event,
    // and tells us when the message left Node's queue.
    const accepted = send.call(this.endpoint, envelope, this.onSent);
    this.inFlight.push(bytes);
    if (!accepted) this.congested = true;
  }

  private readonly onSent = (error: Error | null): void => {
    if (error) {
      this.finish(error);
      return;
    }
    this.backlog.remove(this.inFlight.shift() ?? 0);
    if (this.inFlight.length === 0) this.congested = false;
  };

  protected override goodbye(): void {
    if (this.endpoint.connected !== false && this.endpoint.send) {
      this.endpoint.send({ [TAG]: this.channel, close: true } satisfies Envelope, () => {});
    }
  }

  protected release(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.backlog.clear();
    this.inFlight = [];
    this.congested = false;
    this.endpoint.removeListener('message', this.onMessage);
    this.endpoint.removeListener('disconnect', this.onDisconnect);
    this.endpoint.removeListener('exit', this.onExit);
    this.unguard?.();
  }

  private readonly onUnreadable = (error: Error): void => {
    this.finish(error);
  };

  private readonly onMessage = (raw: unknown): void => {
    if (!isEnvelope(raw, this.channel)) return;
    if (raw.close === true) {
      this.finish(undefined);
      return;
    }
    if (isWireMessage(raw.message)) {
      this.deliver(raw.message);
      return;
    }
    // Tagged for this channel, so meant for us, but neither a close nor a message.
    this.problem(
      protocolError(`${this.kind} transport: dropped an envelope that carries no message object (${describeValue(raw.message)})`),
    );
  };

  private readonly onDisconnect = (): void => {
    if (this.isClosed) return;
    const { endpoint } = this;
    if (!this.isChildProcess) {
      this.finish(new Error('the IPC channel to the parent process closed'));
      return;
    }
    if (endpoint.exitCode != null || endpoint.signalCode != null) {
      this.onExit(endpoint.exitCode ?? null, endpoint.signalCode ?? null);
      return;
    }
    // 'disconnect' comes before 'exit' when a child dies: wait a little for the exit status.
    this.graceTimer = setTimeout(() => {
      this.finish(new Error(`the IPC channel to child process ${endpoint.pid} disconnected`));
    }, this.exitGraceMs);
    this.graceTimer.unref?.();
  };

  private readonly onExit = (code: number | string | null, signal: string | null): void => {
    this.finish(new Error(describeExit(this.endpoint.pid, code, signal)));
  };
}

/**
 * A transport over a child process's IPC channel. Pass the `ChildProcess` in the parent and
 * `process` in the child. The transport closes (reporting an error naming the exit code or
 * signal) when the child exits or crashes, or when the channel disconnects; `close()` tells the
 * peer and detaches without disconnecting the channel, so the process can keep using it.
 */
export function childProcessTransport(endpoint: IpcEndpoint, options: ChildProcessTransportOptions = {}): Transport {
  if (
    typeof endpoint !== 'object' ||
    endpoint === null ||
    typeof endpoint.on !== 'function' ||
    typeof endpoint.removeListener !== 'function'
  ) {
    throw new TypeError('endpoint must be a ChildProcess or process (an event emitter with send)');
  }
  if (typeof endpoint.send !== 'function') {
    throw new TypeError('endpoint has no IPC channel: fork() the child, or spawn it with an "ipc" stdio entry');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const channel = options.channel ?? 'weakwire';
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('options.channel must be a non-empty string');
  }
  const exitGraceMs = options.exitGraceMs ?? 500;
  // A timer longer than MAX_TIMEOUT_MS fires at once: the grace would silently become none.
  if (typeof exitGraceMs !== 'number' || !(exitGraceMs >= 0) || exitGraceMs > MAX_TIMEOUT_MS) {
    throw new TypeError(`options.exitGraceMs must be a number from 0 to ${MAX_TIMEOUT_MS}`);
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
  if (typeof maxBufferedBytes !== 'number' || !Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes <= 0) {
    throw new TypeError('options.maxBufferedBytes must be a positive integer');
  }
  // Node does not tell either end how its channel serializes: the application says it.
  const serialization = options.serialization ?? 'json';
  if (serialization !== 'json' && serialization !== 'advanced') {
    throw new TypeError('options.serialization must be "json" or "advanced"');
  }
  return new ChildProcessTransport(endpoint, channel, exitGraceMs, maxBufferedBytes, serialization);
}
