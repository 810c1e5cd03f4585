/**
 * A hostile peer on a MessagePort: one end of a MessageChannel served in the host thread, the
 * other written to by hand here. Structured clone carries sparse arrays, NaN and undefined.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Wire } from '../peer';
import { Host } from './host';

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

export function messagePortWire(): Wire {
  let host: Host | undefined;
  let port: MessagePort | undefined;
  const post = (message: unknown): boolean => {
    try {
      port!.postMessage(message);
      return true;
    } catch {
      return false;
    }
  };
  return {
    name: 'message-port',
    json: false,
    syncRequests: false,
    junkKinds: PORT_JUNK.length,
    async open(onMessage) {
      host ??= await Host.worker();
      port?.close();
      const channel = new MessageChannel();
      await host.run('serve', { kind: 'port', port: channel.port1 }, [channel.port1]);
      port = channel.port2;
      port.on('message', onMessage);
    },
    send: post,
    requestSync: () => Promise.reject(new Error('a MessagePort has no synchronous requests')),
    junk: (kind) => void post(PORT_JUNK[kind]()),
    reset: () => host!.reset(),
    idle: () => host!.idle(),
    probe: () => host!.probe(),
    close: async () => port?.close(),
    async restart() {
      await this.dispose();
      host = undefined;
    },
    async dispose() {
      port?.close();
      await host?.dispose();
    },
  };
}
