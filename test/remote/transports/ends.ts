/**
 * The two ends of a transport under the conformance suite, behind one asynchronous interface
 * whether the end lives in this thread (`LocalEnd`) or in another thread or process
 * (`RemoteEnd`, driven through test/fixtures/remote/conformance_driver.js).
 */
import { connect, RemoteServer, type RemoteClient } from '../../../src/ts/remote';
import type { Transport, WireMessage } from '../../../src/ts/remote/transport';

/** An error as the suite compares it (remote ends send it as data). */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
}

/** Everything an end's transport reported, in order. */
export interface Log {
  readonly messages: WireMessage[];
  /** One entry per `handlers.close` call: the error, or null for an orderly close. */
  readonly closes: Array<ErrorInfo | null>;
  readonly problems: ErrorInfo[];
}

export type SendResult = { readonly sent: true } | { readonly sent: false; readonly error: ErrorInfo };

export interface End {
  readonly log: Log;
  /** Starts the transport with handlers that record into `log`. */
  start(): Promise<void>;
  /** Calls start() once more: what it threw, or null. */
  startAgain(): Promise<ErrorInfo | null>;
  send(message: WireMessage): Promise<SendResult>;
  /** Sends `{ tag, i }` for i = 0 .. count - 1, back to back. */
  sendMany(tag: string, count: number): Promise<void>;
  close(): Promise<void>;
  /** Serves a RemoteServer on the transport (modules.tools: add, never) instead of recording. */
  serve(): Promise<void>;
}

export function errorInfo(error: unknown): ErrorInfo | null {
  if (error === undefined || error === null) return null;
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  return { name: String(e.name), message: String(e.message), code: typeof e.code === 'string' ? e.code : null };
}

function newLog(): Log {
  return { messages: [], closes: [], problems: [] };
}

/** The modules a peer serves in the peer-death tests. */
export function servedTools(): { add(a: number, b: number): number; never(): Promise<never> } {
  return { add: (a, b) => a + b, never: () => new Promise<never>(() => {}) };
}

/** An end in this thread. */
export class LocalEnd implements End {
  readonly log = newLog();
  private readonly handlers = {
    message: (message: WireMessage) => void this.log.messages.push(message),
    close: (error?: Error) => void this.log.closes.push(errorInfo(error)),
    problem: (error: Error) => void this.log.problems.push(errorInfo(error)!),
  };

  constructor(readonly transport: Transport) {}

  async start(): Promise<void> {
    this.transport.start(this.handlers);
  }

  async startAgain(): Promise<ErrorInfo | null> {
    try {
      this.transport.start(this.handlers);
      return null;
    } catch (error) {
      return errorInfo(error);
    }
  }

  async send(message: WireMessage): Promise<SendResult> {
    try {
      this.transport.send(message);
      return { sent: true };
    } catch (error) {
      return { sent: false, error: errorInfo(error)! };
    }
  }

  async sendMany(tag: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.transport.send({ tag, i });
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  async serve(): Promise<void> {
    const server = new RemoteServer({ modules: { tools: servedTools } });
    server.on('error', () => {});
    server.serve(this.transport);
  }

  /** A client on this end (for the peer-death tests), instead of recording. */
  connect(): RemoteClient<false> {
    const client = connect(this.transport, { sync: false });
    client.on('error', () => {});
    return client;
  }
}

/** The control channel to a remote end: not the transport under test. */
export interface Control {
  post(command: object): void;
  listen(onMessage: (message: any) => void): void;
}

/** An end in another thread or process, driven by commands. */
export class RemoteEnd implements End {
  readonly log = newLog();
  private readonly waiting = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();
  private next = 1;
  private gone: Error | undefined;

  constructor(private readonly control: Control) {
    control.listen((message) => this.onControl(message));
  }

  /** The peer can no longer answer (it exited or was killed): fail what waits. */
  lost(why: string): void {
    this.gone = new Error(`the remote end is gone: ${why}`);
    for (const { reject } of this.waiting.values()) reject(this.gone);
    this.waiting.clear();
  }

  run<T = unknown>(run: string, args: object = {}): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.control.post({ id, run, ...args });
    });
  }

  start(): Promise<void> {
    return this.run('start');
  }

  startAgain(): Promise<ErrorInfo | null> {
    return this.run('startAgain');
  }

  send(message: WireMessage): Promise<SendResult> {
    return this.run('send', { message });
  }

  sendMany(tag: string, count: number): Promise<void> {
    return this.run('sendMany', { tag, count });
  }

  close(): Promise<void> {
    return this.run('close');
  }

  serve(): Promise<void> {
    return this.run('serve');
  }

  /** Writes `values` on the pipe under the remote transport, bypassing it. */
  raw(values: readonly unknown[]): Promise<void> {
    return this.run('raw', { values });
  }

  /** Emits 'messageerror' on the port under the remote transport. */
  emitMessageError(): Promise<void> {
    return this.run('emitMessageError');
  }

  /** Sends a message nested `depth` levels deep through the remote transport. */
  sendDeep(depth: number): Promise<SendResult> {
    return this.run('sendDeep', { depth });
  }

  private onControl(message: any): void {
    if (message === null || typeof message !== 'object') return;
    if (typeof message.id === 'number') {
      const waiter = this.waiting.get(message.id);
      if (waiter === undefined) return;
      this.waiting.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`remote command failed: ${message.error?.message}`));
      return;
    }
    switch (message.event) {
      case 'message':
        this.log.messages.push(message.message);
        return;
      case 'close':
        this.log.closes.push(message.error);
        return;
      case 'problem':
        this.log.problems.push(message.error);
        return;
    }
  }
}

/** Polls `condition` on the event loop for up to `ms` milliseconds. */
export async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Lets the event loop run a while, for checks that something did NOT happen (a second close
 * report): there is no event to wait for.
 */
export function quiet(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
