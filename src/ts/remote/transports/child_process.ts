/**
 * Transport over a child process's IPC channel, for both ends: the parent passes the
 * `ChildProcess` returned by `fork()` (or `spawn()` with an `'ipc'` stdio entry), the child passes
 * `process`. Messages travel in a small envelope tagged with a channel name, so the same IPC
 * channel can carry the application's own messages and several weakwire sessions.
 */
import type { Transport, TransportHandlers, WireMessage } from '../transport';

/**
 * The part of `ChildProcess` (parent side) and `process` (child side) this transport uses. Typed
 * structurally so both fit without casts.
 */
export interface IpcEndpoint {
  send?(message: any, ...rest: any[]): boolean;
  readonly connected?: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
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
}

/** Property that marks a weakwire envelope on a shared IPC channel. */
const TAG = 'weakwire';

interface Envelope {
  weakwire: string;
  message?: WireMessage;
  close?: true;
}

function isEnvelope(value: unknown, channel: string): value is Envelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [TAG]?: unknown })[TAG] === channel
  );
}

function describeExit(
  pid: number | undefined,
  code: number | string | null,
  signal: string | null,
): string {
  const who = pid === undefined ? 'child process' : `child process ${pid}`;
  if (signal) return `${who} was killed by signal ${signal}`;
  return `${who} exited with code ${code}`;
}

class ChildProcessTransport implements Transport {
  readonly kind = 'child-process';
  private handlers: TransportHandlers | undefined;
  /** Messages that arrived before start(); IPC delivers them whether or not anyone listens. */
  private early: WireMessage[] = [];
  private closed = false;
  private closeError: Error | undefined;
  private closeReported = false;
  private graceTimer: NodeJS.Timeout | undefined;
  /** True in the parent: a ChildProcess has `signalCode`, `process` has not. */
  private readonly isChildProcess: boolean;

  constructor(
    private readonly endpoint: IpcEndpoint,
    private readonly channel: string,
    private readonly exitGraceMs: number,
  ) {
    this.isChildProcess = 'signalCode' in endpoint;
    endpoint.on('message', this.onMessage);
    endpoint.on('disconnect', this.onDisconnect);
    // In the child, process 'exit' is our own exit, not the peer's.
    if (this.isChildProcess) endpoint.on('exit', this.onExit);
    if (endpoint.connected === false) this.finish(new Error('the IPC channel is already closed'));
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers) throw new Error('child-process transport: start() was already called');
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const message of early) {
      if (this.closed) break;
      handlers.message(message);
    }
    if (this.closed) this.reportClose();
  }

  send(message: WireMessage): void {
    if (this.closed || this.endpoint.connected === false || !this.endpoint.send) {
      throw new Error('child-process transport is closed');
    }
    const envelope: Envelope = { [TAG]: this.channel, message };
    // The callback keeps an asynchronous send failure from becoming an unhandled 'error' event.
    this.endpoint.send(envelope, (error: Error | null) => {
      if (error && !this.closed) this.finish(error);
    });
  }

  close(): void {
    if (this.closed) return;
    if (this.endpoint.connected !== false && this.endpoint.send) {
      try {
        this.endpoint.send({ [TAG]: this.channel, close: true } satisfies Envelope, () => {});
      } catch {
        // The channel went away at the same moment: the peer sees the disconnect instead.
      }
    }
    this.finish(undefined);
  }

  private readonly onMessage = (raw: unknown): void => {
    if (this.closed || !isEnvelope(raw, this.channel)) return;
    if (raw.close === true) {
      this.finish(undefined);
      return;
    }
    const message = raw.message;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    if (this.handlers) this.handlers.message(message);
    else this.early.push(message);
  };

  private readonly onDisconnect = (): void => {
    if (this.closed) return;
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
    if (this.closed) return;
    this.finish(new Error(describeExit(this.endpoint.pid, code, signal)));
  };

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.early = [];
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.endpoint.removeListener('message', this.onMessage);
    this.endpoint.removeListener('disconnect', this.onDisconnect);
    this.endpoint.removeListener('exit', this.onExit);
    if (this.handlers) this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported || !this.handlers) return;
    this.closeReported = true;
    this.handlers.close(this.closeError);
  }
}

/**
 * A transport over a child process's IPC channel. Pass the `ChildProcess` in the parent and
 * `process` in the child. The transport closes (reporting an error naming the exit code or
 * signal) when the child exits or crashes, or when the channel disconnects; `close()` tells the
 * peer and detaches without disconnecting the channel, so the process can keep using it.
 */
export function childProcessTransport(
  endpoint: IpcEndpoint,
  options: ChildProcessTransportOptions = {},
): Transport {
  if (
    typeof endpoint !== 'object' ||
    endpoint === null ||
    typeof endpoint.on !== 'function' ||
    typeof endpoint.removeListener !== 'function'
  ) {
    throw new TypeError('endpoint must be a ChildProcess or process (an event emitter with send)');
  }
  if (typeof endpoint.send !== 'function') {
    throw new TypeError(
      'endpoint has no IPC channel: fork() the child, or spawn it with an "ipc" stdio entry',
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const channel = options.channel ?? 'weakwire';
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('options.channel must be a non-empty string');
  }
  const exitGraceMs = options.exitGraceMs ?? 500;
  if (typeof exitGraceMs !== 'number' || !(exitGraceMs >= 0) || !Number.isFinite(exitGraceMs)) {
    throw new TypeError('options.exitGraceMs must be a finite number >= 0');
  }
  return new ChildProcessTransport(endpoint, channel, exitGraceMs);
}
