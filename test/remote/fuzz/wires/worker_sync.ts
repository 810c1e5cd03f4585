/**
 * A hostile requester on a worker-sync channel whose answering end is served in the host thread:
 * async messages as envelopes on the channel's port, synchronous requests through the shared
 * buffer, written and read by hand (the layout of src/ts/remote/transports/worker_sync.ts).
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { WorkerSyncEnd } from '../../../../src/ts/remote/transports';
import type { SyncOutcome, Wire } from '../peer';
import { Host } from './host';
import { tooDeep } from './message_port';

// The shared buffer's header (Int32 slots) and answer states.
const STATE = 0;
const LENGTH = 1;
const HEADER_BYTES = 16;
const IDLE = 0;
const INLINE = 1;
const ON_PORT = 2;
const REFUSED = 3;

/** `Atomics.waitAsync` (Node 16+; the ES2024 lib would type it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: unknown };
}).waitAsync;

const SYNC_JUNK: ReadonlyArray<() => unknown> = [
  () => 5,
  () => ({ x: 1 }),
  () => ({ m: 5 }),
  () => ({ m: null }),
  () => ({ m: [1] }),
  () => ({ sync: 'yes', m: {} }),
  () => ({ m: tooDeep() }),
];

export function workerSyncWire(): Wire {
  let host: Host | undefined;
  let end: WorkerSyncEnd | undefined;
  const post = (value: unknown): boolean => {
    try {
      end!.port.postMessage(value);
      return true;
    } catch {
      return false;
    }
  };
  const closeEnd = (): void => {
    end?.port.close();
    end?.answers.close();
  };
  return {
    name: 'worker-sync',
    json: false,
    syncRequests: true,
    junkKinds: SYNC_JUNK.length,
    async open(onMessage) {
      host ??= await Host.worker();
      closeEnd();
      ({ end } = await host.run<{ end: WorkerSyncEnd }>('serve', { kind: 'sync' }));
      end.port.on('message', (envelope: { m?: unknown }) => onMessage(envelope?.m));
    },
    send: (message) => post({ m: message }),
    async requestSync(message): Promise<SyncOutcome> {
      const header = new Int32Array(end!.buffer, 0, HEADER_BYTES / 4);
      Atomics.store(header, STATE, IDLE);
      if (!post({ sync: true, m: message })) return { refused: 'the request could not be cloned' };
      // Blocking here would block the answering thread's peer (this one): wait asynchronously.
      const deadline = Date.now() + 30_000;
      while (Atomics.load(header, STATE) === IDLE) {
        if (Date.now() > deadline) throw new Error('no answer to a synchronous request within 30 s');
        const waited = waitAsync(header, STATE, IDLE, 100);
        if (waited.async) await waited.value;
      }
      const state = Atomics.load(header, STATE);
      Atomics.store(header, STATE, IDLE);
      if (state === INLINE) {
        const length = Atomics.load(header, LENGTH);
        return { answer: JSON.parse(Buffer.from(end!.buffer, HEADER_BYTES, length).toString('utf8')) };
      }
      if (state === ON_PORT) return { answer: receiveMessageOnPort(end!.answers as MessagePort)?.message };
      if (state === REFUSED) return { refused: 'the answering side could not read the request' };
      throw new Error(`unknown answer state ${state}`);
    },
    junk: (kind) => void post(SYNC_JUNK[kind]()),
    reset: () => host!.reset(),
    idle: () => host!.idle(),
    probe: () => host!.probe(),
    close: async () => closeEnd(),
    async restart() {
      await this.dispose();
      host = undefined;
    },
    async dispose() {
      closeEnd();
      await host?.dispose();
    },
  };
}
