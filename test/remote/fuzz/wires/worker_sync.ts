/**
 * A hostile requester on a worker-sync channel whose answering end is served in the host thread:
 * async messages as envelopes on the channel's port, synchronous requests through the shared
 * buffer, written and read by hand (the layout of src/ts/remote/transports/worker_sync.ts).
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { WorkerSyncEnd } from '../../../../src/ts/remote/transports';
import type { SyncOutcome } from '../peer';
import { deserialize } from 'node:v8';
import { Host } from './host';
import { HostedWire } from './hosted_wire';
import { post, tooDeep } from './message_port';

// The shared buffer's header (Int32 slots) and answer states.
const STATE = 0;
const LENGTH = 1;
const HEADER_BYTES = 16;
const IDLE = 0;
const INLINE = 1;
const ON_PORT = 2;
const REFUSED = 3;

/** `Atomics.waitAsync` (Node 16+; the ES2024 lib would type it). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: boolean; value: unknown };
  }
).waitAsync;

const SYNC_JUNK: ReadonlyArray<() => unknown> = [
  () => 5,
  () => ({ x: 1 }),
  () => ({ m: 5 }),
  () => ({ m: null }),
  () => ({ m: [1] }),
  () => ({ sync: 'yes', m: {} }),
  () => ({ m: tooDeep() }),
];

export class WorkerSyncWire extends HostedWire {
  readonly name = 'worker-sync';
  readonly json = false;
  readonly syncRequests = true;
  readonly junkKinds = SYNC_JUNK.length;
  private end: WorkerSyncEnd | undefined;

  protected startHost(): Promise<Host> {
    return Host.worker();
  }

  protected async connect(host: Host, onMessage: (message: unknown) => void): Promise<void> {
    const { end } = await host.run<{ end: WorkerSyncEnd }>('serve', { kind: 'sync' });
    this.end = end;
    end.port.on('message', (envelope: { m?: unknown }) => onMessage(envelope?.m));
  }

  protected disconnect(): void {
    this.end?.port.close();
    this.end?.answers.close();
    this.end = undefined;
  }

  send(message: unknown): boolean {
    return post(this.end?.port, { m: message });
  }

  junk(kind: number): void {
    post(this.end?.port, SYNC_JUNK[kind]());
  }

  override async requestSync(message: unknown): Promise<SyncOutcome> {
    const end = this.end!;
    const header = new Int32Array(end.buffer, 0, HEADER_BYTES / 4);
    Atomics.store(header, STATE, IDLE);
    if (!post(end.port, { sync: true, m: message })) return { refused: 'the request could not be cloned' };
    // The answering thread is busy with this request: wait without blocking this one.
    const deadline = Date.now() + 30_000;
    while (Atomics.load(header, STATE) === IDLE) {
      if (Date.now() > deadline) throw new Error('no answer to a synchronous request within 30 s');
      const waited = waitAsync(header, STATE, IDLE, 100);
      if (waited.async) await waited.value;
    }
    const state = Atomics.load(header, STATE);
    Atomics.store(header, STATE, IDLE);
    switch (state) {
      case INLINE: {
        const length = Atomics.load(header, LENGTH);
        return { answer: deserialize(Buffer.from(Buffer.from(end.buffer, HEADER_BYTES, length))) };
      }
      case ON_PORT:
        return { answer: receiveMessageOnPort(end.answers)?.message };
      case REFUSED:
        return { refused: 'the answering side could not read the request' };
      default:
        throw new Error(`unknown answer state ${state}`);
    }
  }
}
