import { MessageChannel, Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { transports, type RemoteServer, type RemoteSession } from '../../src/ts/remote';

const FIXTURE = join(__dirname, '..', 'fixtures', 'remote', 'client_worker.js');

export interface ClientWorker {
  readonly session: RemoteSession;
  readonly worker: Worker;
  /** Runs one step of client_worker.js in the worker and resolves with its result. */
  run<T = any>(step: string, args?: object): Promise<T>;
  stop(): Promise<void>;
}

/** Serves a worker-thread client of `server`, over the sync channel or a MessagePort. */
export function startClientWorker(server: RemoteServer, sync: boolean): ClientWorker {
  let transport;
  let workerData;
  let transferList;
  if (sync) {
    const channel = transports.workerSyncChannel();
    transport = channel.transport;
    workerData = { sync, end: channel.end };
    transferList = channel.transferList;
  } else {
    const channel = new MessageChannel();
    transport = transports.messagePort(channel.port1);
    workerData = { sync, port: channel.port2 };
    transferList = [channel.port2];
  }
  const session = server.serve(transport);
  const worker = new Worker(FIXTURE, { workerData, transferList });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  const failAll = (error: Error): void => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', ({ id, ok, value, error }) => {
    const w = waiting.get(id);
    if (w === undefined) return;
    waiting.delete(id);
    if (ok) w.resolve(value);
    else w.reject(Object.assign(new Error(`${error.name}: ${error.message}`), { code: error.code }));
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`worker exited with code ${code}`)));
  return {
    session,
    worker,
    run<T>(step: string, args?: object): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, step, args });
      });
    },
    async stop() {
      await worker.terminate();
      session.close();
    },
  };
}
