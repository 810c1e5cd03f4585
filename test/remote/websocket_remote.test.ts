// weakwire/remote over WebSockets on 127.0.0.1: one ws server, a RemoteServer serving every
// connection it accepts (one session each), ws clients in async mode.
import { WebSocket, type WebSocketServer } from 'ws';
import { connect, transports, RemoteServer, type RemoteClient } from '../../src/ts/remote';
import { webSocketServer } from './transports/websocket_pair';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Counter {
  next(): number;
}

function counter(): Counter {
  let count = 0;
  return { next: () => ++count };
}

/** A RemoteServer taking every connection of a ws server on 127.0.0.1. */
async function serve(): Promise<{ server: RemoteServer; wss: WebSocketServer; url: string; origins: unknown[] }> {
  const server = new RemoteServer({
    modules: { counter: () => counter() },
  });
  const { server: wss, url } = await webSocketServer();
  const origins: unknown[] = [];
  const stop = transports.webSocketAccept(wss, (transport, request: { headers: { origin?: string } }) => {
    origins.push(request.headers.origin);
    server.serve(transport);
  });
  cleanups.push(() => {
    stop();
    server.close();
    wss.close();
  });
  return { server, wss, url, origins };
}

function dial(url: string): { socket: WebSocket; remote: RemoteClient } {
  // Made while the socket is still connecting: what is sent meanwhile waits for it to open.
  const socket = new WebSocket(url, { origin: 'http://page.test' });
  const remote = connect(transports.webSocket(socket), { sync: false });
  cleanups.push(() => {
    remote.close();
    socket.terminate();
  });
  return { socket, remote };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

test('a server accepts many connections, one session each, sharing the served modules', async () => {
  const { server, url, origins } = await serve();
  const clients = Array.from({ length: 25 }, () => dial(url));
  const counts = await Promise.all(clients.map(async ({ remote }) => (await remote.require<Counter>('counter')).next()));
  expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  expect(server.stats().sessions).toBe(25);
  expect(origins).toEqual(Array(25).fill('http://page.test'));
});

test('a client going away ends its session only', async () => {
  const { server, url } = await serve();
  const [a, b] = [dial(url), dial(url)];
  const [ca, cb] = await Promise.all([a.remote.require<Counter>('counter'), b.remote.require<Counter>('counter')]);
  await Promise.all([ca.next(), cb.next()]);
  a.socket.terminate();
  await until(() => server.stats().sessions === 1, 'the first session to end');
  expect(await cb.next()).toBe(3);
});

test('a client sees its server go away: pending calls reject with ERR_REMOTE_CLOSED', async () => {
  const { wss, url } = await serve();
  const { remote } = dial(url);
  await remote.ready;
  for (const socket of wss.clients) socket.terminate();
  await expect(remote.require('counter')).rejects.toMatchObject({ code: 'ERR_REMOTE_CLOSED' });
  expect(remote.closed).toBe(true);
});

test('a transport on a socket that already closed is closed', async () => {
  const { url } = await serve();
  const socket = new WebSocket(url);
  await new Promise((resolve) => socket.once('open', resolve));
  socket.close();
  await new Promise((resolve) => socket.once('close', resolve));
  const transport = transports.webSocket(socket);
  expect(() => transport.send({ op: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
});

test('bad arguments are TypeErrors naming the argument', () => {
  expect(() => transports.webSocket({} as never)).toThrow(/socket must be a WebSocket/);
  const socket = { readyState: 1, bufferedAmount: 0, binaryType: '', send() {}, close() {}, addEventListener() {}, removeEventListener() {} };
  expect(() => transports.webSocket(socket, { maxFrameBytes: 0 })).toThrow(/options.maxFrameBytes/);
  expect(() => transports.webSocket(socket, { maxBufferedBytes: 1.5 })).toThrow(/options.maxBufferedBytes/);
  expect(() => transports.webSocket(socket, null as never)).toThrow(/options must be an object/);
  expect(() => transports.webSocketAccept({} as never, () => {})).toThrow(/server must be a WebSocket server/);
  const wss = { on() {}, removeListener() {} };
  expect(() => transports.webSocketAccept(wss, 5 as never)).toThrow(/onTransport must be a function/);
  expect(() => transports.webSocketAccept(wss, () => {}, { maxFrameBytes: -1 })).toThrow(TypeError);
});

/** A socket that checks close codes as a page's WebSocket does (1000 or 3000-4999, else it throws). */
function browserLikeSocket() {
  const listeners = new Map<string, Array<(event: any) => void>>();
  const closes: number[] = [];
  const socket = {
    readyState: 1,
    bufferedAmount: 0,
    binaryType: 'blob',
    send() {},
    close(code = 1000) {
      if (code !== 1000 && (code < 3000 || code > 4999)) throw new Error(`InvalidAccessError: close code ${code}`);
      closes.push(code);
      socket.readyState = 2;
    },
    addEventListener(type: string, listener: (event: any) => void) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    removeEventListener(type: string, listener: (event: any) => void) {
      listeners.set(type, (listeners.get(type) ?? []).filter((l) => l !== listener));
    },
    dispatch(type: string, event: object) {
      for (const listener of listeners.get(type) ?? []) listener(event);
    },
  };
  return { socket, closes };
}

test('a transport that fails closes its socket with a code a page accepts; close() uses 1000', () => {
  const failed = browserLikeSocket();
  const closed: unknown[] = [];
  transports.webSocket(failed.socket).start({ message() {}, close: (error) => closed.push(error) });
  failed.socket.dispatch('error', { message: 'network down' });
  expect(failed.closes).toEqual([4000]);
  expect(closed).toEqual([expect.objectContaining({ code: 'ERR_REMOTE_CLOSED', message: expect.stringMatching(/network down/) })]);
  expect(failed.socket.binaryType).toBe('arraybuffer');

  const orderly = browserLikeSocket();
  transports.webSocket(orderly.socket).close();
  expect(orderly.closes).toEqual([1000]);
});

describe('a WHATWG WebSocket whose error event gives no reason', () => {
  // Node 24 and later (undici) fire an ErrorEvent whose error is a TypeError with an empty message
  // when the server drops the connection; the transport closed with "The WebSocket failed: ".
  test('closes the transport with an error that says the event gave none', () => {
    const socket = Object.assign(new EventTarget(), {
      readyState: 1,
      bufferedAmount: 0,
      binaryType: 'blob',
      send: () => {},
      close: () => {},
    });
    const transport = transports.webSocket(socket);
    let closedWith: Error | undefined;
    transport.start({ message: () => {}, close: (error) => (closedWith = error) });
    socket.dispatchEvent(Object.assign(new Event('error'), { error: new TypeError(''), message: '' }));
    expect(closedWith?.message).toMatch(/The WebSocket failed: .*gave no reason/);
  });
});
