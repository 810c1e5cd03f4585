/**
 * transports/index.ts for browser builds (package.json "browser" field): the transports a page,
 * a web worker or a sandboxed Electron renderer can use. The others need Node.js (worker_threads,
 * child processes, byte streams, Electron's main process) and stay out of the bundle.
 */
import { electronRendererTransport } from './electron_renderer';
import { acceptWebSockets, webSocketTransport } from './websocket';

export type { ElectronTransportOptions } from './electron_envelope';
export type { ElectronIpcRendererLike } from './electron_renderer';
export type { WebSocketLike, WebSocketServerLike, WebSocketTransportOptions } from './websocket';

export const transports = {
  // Electron renderer, sandboxed or not (has requestSync through ipcRenderer.sendSync).
  electronRenderer: electronRendererTransport,
  // WebSocket, both ends, and a server's connections.
  webSocket: webSocketTransport,
  webSocketAccept: acceptWebSockets,
};
