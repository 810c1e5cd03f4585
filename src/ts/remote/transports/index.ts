/**
 * Every transport the package ships, under one object: `transports.messagePort(port)`, ...
 * Each one's module loads on first use, so `require('weakwire/remote')` compiles none of them
 * and loads none of the built-ins they need (worker_threads, v8, msgpackr).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as MessagePortModule from './message_port';
import type * as WorkerSyncModule from './worker_sync';
import type * as ChildProcessModule from './child_process';
import type * as StreamModule from './stream';
import type * as ElectronMainModule from './electron_main';
import type * as ElectronRendererModule from './electron_renderer';
import type * as WebSocketModule from './websocket';

export type { PortLike } from './message_port';
export type { WorkerSyncChannel, WorkerSyncEnd } from './worker_sync';
export type { IpcEndpoint, ChildProcessTransportOptions } from './child_process';
export type { DuplexLike, StreamTransportOptions } from './stream';
export type { ElectronTransportOptions } from './electron_envelope';
export type { ElectronIpcMainEventLike, ElectronIpcMainLike, ElectronWebContentsLike } from './electron_main';
export type { ElectronIpcRendererLike } from './electron_renderer';
export type { WebSocketLike, WebSocketServerLike, WebSocketTransportOptions } from './websocket';

export const transports = {
  // Worker threads (async): MessagePort, Worker, parentPort.
  get messagePort() {
    return (require('./message_port') as typeof MessagePortModule).messagePort;
  },
  // Worker threads (sync): SharedArrayBuffer + Atomics.wait.
  get workerSyncChannel() {
    return (require('./worker_sync') as typeof WorkerSyncModule).workerSyncChannel;
  },
  get workerSyncClient() {
    return (require('./worker_sync') as typeof WorkerSyncModule).workerSyncClient;
  },
  // Child process IPC, both ends: the ChildProcess in the parent, `process` in the child.
  get childProcess() {
    return (require('./child_process') as typeof ChildProcessModule).childProcessTransport;
  },
  // Any duplex byte stream (net.Socket, tls.TLSSocket): length-prefixed MessagePack frames.
  get stream() {
    return (require('./stream') as typeof StreamModule).streamTransport;
  },
  // Electron: main per webContents, main accepting every renderer, renderer (has requestSync).
  get electronMain() {
    return (require('./electron_main') as typeof ElectronMainModule).electronMainTransport;
  },
  get electronAccept() {
    return (require('./electron_main') as typeof ElectronMainModule).acceptElectronRenderers;
  },
  get electronRenderer() {
    return (require('./electron_renderer') as typeof ElectronRendererModule).electronRendererTransport;
  },
  // WebSocket, both ends (a page's WebSocket, a ws WebSocket), and a ws server's connections.
  get webSocket() {
    return (require('./websocket') as typeof WebSocketModule).webSocketTransport;
  },
  get webSocketAccept() {
    return (require('./websocket') as typeof WebSocketModule).acceptWebSockets;
  },
};
