/**
 * Connected WebSockets over real TCP on 127.0.0.1: a `ws` server and a `ws` client in this
 * process, for the WebSocket transport's tests.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** A `ws` server on 127.0.0.1 on a free port, and its URL. */
export async function webSocketServer(): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `ws://127.0.0.1:${port}` };
}

/** Both ends of a fresh WebSocket connection: [the client's, the server's]; the server is closed. */
export async function webSocketPair(): Promise<[WebSocket, WebSocket]> {
  const { server, url } = await webSocketServer();
  const client = new WebSocket(url);
  const [[accepted]] = await Promise.all([once(server, 'connection'), once(client, 'open')]);
  server.close();
  return [client, accepted as WebSocket];
}
