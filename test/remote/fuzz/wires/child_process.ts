/**
 * A hostile parent on the IPC channel to a child process that serves it (structured-clone
 * serialization, so sparse arrays stay sparse): weakwire envelopes written by hand, and junk
 * envelopes (tagged for the channel but carrying no message object).
 */
import type { ChildProcess, Serializable } from 'node:child_process';
import { Host } from './host';
import { HostedWire } from './hosted_wire';

const TAG = 'weakwire';

const IPC_JUNK: readonly unknown[] = [
  { weakwire: TAG, message: 5 },
  { weakwire: TAG, message: null },
  { weakwire: TAG, message: [1] },
  { weakwire: TAG },
  { weakwire: TAG, close: 'no' },
  { weakwire: 'other', message: { op: 'get' } },
  'text',
];

export class ChildProcessWire extends HostedWire {
  readonly name = 'child-process';
  readonly json = false;
  readonly syncRequests = false;
  readonly junkKinds = IPC_JUNK.length;
  private child: ChildProcess | undefined;
  private listener: ((message: any) => void) | undefined;

  protected async startHost(): Promise<Host> {
    const { host, child } = await Host.child();
    this.child = child;
    return host;
  }

  protected async connect(host: Host, onMessage: (message: unknown) => void): Promise<void> {
    this.listener = (message: any) => {
      if (message?.weakwire === TAG && message.message !== undefined) onMessage(message.message);
    };
    this.child!.on('message', this.listener);
    await host.run('serve', { kind: 'ipc' });
  }

  protected disconnect(): void {
    if (this.listener) this.child?.off('message', this.listener);
    this.listener = undefined;
  }

  send(message: unknown): boolean {
    return this.write({ weakwire: TAG, message });
  }

  junk(kind: number): void {
    this.write(IPC_JUNK[kind]);
  }

  /** The transport's own goodbye: the session ends without the protocol's. */
  override async close(): Promise<void> {
    this.write({ weakwire: TAG, close: true });
  }

  private write(value: unknown): boolean {
    try {
      this.child!.send(value as Serializable);
      return true;
    } catch {
      return false;
    }
  }
}
