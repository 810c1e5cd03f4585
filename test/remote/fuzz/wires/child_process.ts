/**
 * A hostile parent on the IPC channel to a child process that serves it (structured-clone
 * serialization, so sparse arrays stay sparse): weakwire envelopes written by hand, and junk
 * envelopes (tagged for the channel but carrying no message object).
 */
import type { ChildProcess, Serializable } from 'node:child_process';
import { Host } from './host';
import { HostedWire } from './hosted_wire';

const TAG = 'weakwire';

/**
 * Node's IPC reader deserializes on the pipe's read callback, where V8's deserializer runs out of
 * stack somewhere past 1,000 levels (986 in one fuzz case). A message nested deeper than this is
 * one this wire does not carry: the guard on the reader then ends the channel, which is its own
 * specification (test/remote/attacks/ipc_reader.test.ts), not a session the fuzzer can go on with.
 */
const READER_SAFE_DEPTH = 500;

/** Whether `value` nests objects deeper than `limit` (a walk without recursion, each object once). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const seen = new Set<object>();
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    if (depth >= limit) return true;
    seen.add(current);
    if (current instanceof Map) {
      for (const [k, v] of current) stack.push([k, depth + 1], [v, depth + 1]);
    } else if (current instanceof Set) {
      for (const v of current) stack.push([v, depth + 1]);
    } else {
      for (const key of Object.keys(current)) stack.push([(current as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return false;
}

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
    try {
      if (nestsDeeperThan(message, READER_SAFE_DEPTH)) return false;
    } catch {
      // A value that throws when walked: structured clone will refuse it in write().
    }
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
