/**
 * Every transport the package ships, under one object: `transports.messagePort(port)`, ...
 */
import { messagePort } from './message_port';
import { workerSyncChannel, workerSyncClient } from './worker_sync';

export type { PortLike } from './message_port';
export type { WorkerSyncChannel, WorkerSyncEnd } from './worker_sync';
import { childProcessTransport } from './child_process';
import { streamTransport } from './stream';
import { acceptElectronRenderers, electronMainTransport } from './electron_main';
import { electronRendererTransport } from './electron_renderer';
import { acceptWebSockets, webSocketTransport } from './websocket';

export type { IpcEndpoint, ChildProcessTransportOptions } from './child_process';
export { FrameError, type DuplexLike, type StreamTransportOptions } from './stream';
export type { ElectronTransportOptions } from './electron_envelope';
export type { ElectronIpcMainEventLike, ElectronIpcMainLike, ElectronWebContentsLike } from './electron_main';
export type { ElectronIpcRendererLike } from './electron_renderer';
export type { WebSocketLike, WebSocketServerLike, WebSocketTransportOptions } from './websocket';

export const transports = {
  // Worker threads (async): MessagePort, Worker, parentPort.
  messagePort,
  // Worker threads (sync): SharedArrayBuffer + Atomics.wait.
  workerSyncChannel,
  workerSyncClient,
  // Child processes, duplex streams and Electron: added by their own modules below this line.
  // Child process IPC, both ends: the ChildProcess in the parent, `process` in the child.
  childProcess: childProcessTransport,
  // Any duplex byte stream (net.Socket, tls.TLSSocket): length-prefixed MessagePack frames.
  stream: streamTransport,
  // Electron: main per webContents, main accepting every renderer, renderer (has requestSync).
  electronMain: electronMainTransport,
  electronAccept: acceptElectronRenderers,
  electronRenderer: electronRendererTransport,
  // WebSocket, both ends (a page's WebSocket, a ws WebSocket), and a ws server's connections.
  webSocket: webSocketTransport,
  webSocketAccept: acceptWebSockets,
};
