/**
 * A conformance peer in a worker thread (test/fixtures/remote/conformance_worker_peer.js),
 * driven over a control MessagePort of its own.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { RemoteEnd } from './ends';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'remote', 'conformance_worker_peer.js');

export interface WorkerPeer {
  readonly worker: Worker;
  readonly end: RemoteEnd;
  /** The first control message, for modes that announce something (sync-answer: its `end`). */
  readonly first: Promise<any>;
  /** Terminates the worker and closes the control port. */
  dispose(): Promise<void>;
}

export type WorkerPeerMode = 'port' | 'parentPort' | 'sync-client' | 'sync-answer';

export function startWorkerPeer(
  mode: WorkerPeerMode,
  data: Record<string, unknown> = {},
  transferList: TransferListItem[] = [],
): WorkerPeer {
  const control = new MessageChannel();
  const first = once(control.port1, 'message').then(([message]) => message);
  const worker = new Worker(FIXTURE, {
    workerData: { ...data, mode, control: control.port2 },
    transferList: [...transferList, control.port2],
  });
  const port: MessagePort = control.port1;
  const end = new RemoteEnd({
    post: (command) => port.postMessage(command),
    listen: (onMessage) => port.on('message', onMessage),
  });
  worker.on('error', (error) => end.lost(error.message));
  worker.on('exit', (code) => end.lost(`the worker exited with code ${code}`));
  return {
    worker,
    end,
    first,
    async dispose() {
      await worker.terminate();
      port.close();
    },
  };
}
