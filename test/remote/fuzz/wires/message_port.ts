/**
 * A hostile peer on a MessagePort: one end of a MessageChannel served in the host thread, the
 * other written to by hand here. Structured clone carries sparse arrays, NaN and undefined.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Host } from './host';
import { HostedWire } from './hosted_wire';

/** Nested deeper than a thread can deserialize: a real 'messageerror' on arrival. */
export function tooDeep(): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < 2500; i++) value = { v: value };
  return value;
}

/** Things on a port that are not protocol messages. */
const PORT_JUNK: ReadonlyArray<() => unknown> = [
  () => 5,
  () => 'text',
  () => null,
  () => undefined,
  () => [1, 2],
  () => new Map([[1, 2]]),
  tooDeep,
];

/** Posts `value` on `port`; false if it cannot be cloned. */
export function post(port: MessagePort | undefined, value: unknown): boolean {
  try {
    port!.postMessage(value);
    return true;
  } catch {
    return false;
  }
}

export class MessagePortWire extends HostedWire {
  readonly name = 'message-port';
  readonly json = false;
  readonly syncRequests = false;
  readonly junkKinds = PORT_JUNK.length;
  private port: MessagePort | undefined;

  protected startHost(): Promise<Host> {
    return Host.worker();
  }

  protected async connect(host: Host, onMessage: (message: unknown) => void): Promise<void> {
    const channel = new MessageChannel();
    await host.run('serve', { kind: 'port', port: channel.port1 }, [channel.port1]);
    this.port = channel.port2;
    this.port.on('message', onMessage);
  }

  protected disconnect(): void {
    this.port?.close();
    this.port = undefined;
  }

  send(message: unknown): boolean {
    return post(this.port, message);
  }

  junk(kind: number): void {
    post(this.port, PORT_JUNK[kind]());
  }
}
