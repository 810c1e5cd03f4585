/**
 * A hostile page in a stand-in Electron renderer (test/fixtures/remote/fuzz_renderer_peer.js):
 * Electron envelopes on the 'weakwire' channel written by hand, synchronous requests through
 * sendSync, junk envelopes; main (the host thread) serves every page that opens.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { SyncOutcome, Wire } from '../peer';
import { Host } from './host';

const ELECTRON_JUNK: readonly unknown[] = [
  { k: 'msg', n: '<nonce>', m: 5 },
  { k: 'msg', n: '<nonce>' },
  { k: 'bogus', n: '<nonce>', m: {} },
  { k: 'msg', n: 'not-a-nonce', m: { op: 'get' } },
  { k: 'sync', n: 'f'.repeat(32), m: {} },
  'text',
  null,
];

export function electronWire(): Wire {
  let host: Host | undefined;
  let port: MessagePort | undefined;
  let onServerMessage: (message: unknown) => void = () => {};
  const waiting = new Map<number, (returnValue: unknown) => void>();
  let next = 1;
  const command = (run: string, args: object = {}): Promise<unknown> => {
    const id = next++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      port!.postMessage({ id, run, ...args });
    });
  };
  const post = (run: string, args: object): boolean => {
    try {
      port!.postMessage({ run, ...args });
      return true;
    } catch {
      return false;
    }
  };
  return {
    name: 'electron',
    json: false,
    syncRequests: true,
    junkKinds: ELECTRON_JUNK.length,
    async open(onMessage) {
      onServerMessage = onMessage;
      if (!host) {
        host = await Host.worker();
        const channel = new MessageChannel();
        port = channel.port1;
        const ready = new Promise<void>((resolve) => {
          port!.on('message', (message: any) => {
            if (message?.ready) resolve();
            else if (typeof message?.id === 'number') {
              waiting.get(message.id)?.(message.returnValue);
              waiting.delete(message.id);
            } else if ('message' in message) onServerMessage(message.message);
          });
        });
        await host.run('serve', { kind: 'electron', port: channel.port2 }, [channel.port2]);
        await ready;
      }
      // A new page load: the previous page's session (if any) closes.
      const opened = (await command('open')) as { k?: string };
      if (opened?.k !== 'ok') throw new Error(`the main process refused the page: ${JSON.stringify(opened)}`);
    },
    send: (message) => post('send', { message }),
    async requestSync(message): Promise<SyncOutcome> {
      const returnValue = (await command('sync', { message })) as { k?: string; m?: unknown; e?: string };
      if (returnValue?.k === 'reply') return { answer: returnValue.m };
      return { refused: returnValue?.e ?? JSON.stringify(returnValue) };
    },
    junk: (kind) => void post('junk', { value: ELECTRON_JUNK[kind] }),
    reset: () => host!.reset(),
    idle: () => host!.idle(),
    probe: () => host!.probe(),
    close: async () => void post('close', {}),
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
