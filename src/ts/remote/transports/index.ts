/**
 * Every transport the package ships, under one object: `transports.messagePort(port)`, ...
 */
import { messagePort } from './message_port';
import { workerSyncChannel, workerSyncClient } from './worker_sync';

export type { PortLike } from './message_port';
export type { WorkerSyncChannel, WorkerSyncEnd } from './worker_sync';

export const transports = {
  // Worker threads (async): MessagePort, Worker, parentPort.
  messagePort,
  // Worker threads (sync): SharedArrayBuffer + Atomics.wait.
  workerSyncChannel,
  workerSyncClient,
  // Child processes, duplex streams and Electron: added by their own modules below this line.
};
