/**
 * A hostile parent on the IPC channel to a child process that serves it (structured-clone
 * serialization, so sparse arrays stay sparse): weakwire envelopes written by hand, and junk
 * envelopes (tagged for the channel but carrying no message object).
 */
import type { ChildProcess, Serializable } from 'node:child_process';
import type { Wire } from '../peer';
import { Host } from './host';

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

export function childProcessWire(): Wire {
  let host: Host | undefined;
  let child: ChildProcess | undefined;
  let listener: ((message: any) => void) | undefined;
  const send = (value: unknown): boolean => {
    try {
      return child!.send(value as Serializable) || true;
    } catch {
      return false;
    }
  };
  return {
    name: 'child-process',
    json: false,
    syncRequests: false,
    junkKinds: IPC_JUNK.length,
    async open(onMessage) {
      if (!host) ({ host, child } = await Host.child());
      if (listener) child!.off('message', listener);
      listener = (message: any) => {
        if (message?.weakwire === TAG && message.message !== undefined) onMessage(message.message);
      };
      child!.on('message', listener);
      await host.run('serve', { kind: 'ipc' });
    },
    send: (message) => send({ weakwire: TAG, message }),
    requestSync: () => Promise.reject(new Error('IPC has no synchronous requests')),
    junk: (kind) => void send(IPC_JUNK[kind]),
    reset: () => host!.reset(),
    idle: () => host!.idle(),
    probe: () => host!.probe(),
    // The transport's own goodbye: the session ends without the protocol's.
    close: async () => void send({ weakwire: TAG, close: true }),
    async restart() {
      await host?.dispose();
      host = undefined;
      listener = undefined;
    },
    dispose: async () => host?.dispose(),
  };
}
