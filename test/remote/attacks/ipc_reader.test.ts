/**
 * docs/security.md: a peer process cannot end ours with a message Node.js cannot read. Node reads
 * an IPC channel before any listener runs, and what it cannot read (a clone nested past V8's
 * deserializer stack, bytes that are no serialized value, a line that is not JSON) is an uncaught
 * exception. While a weakwire transport is attached, the channel ends instead: its sessions close
 * with ERR_REMOTE_PROTOCOL and the channel disconnects. Each victim runs in a fresh process
 * (test/fixtures/remote/ipc_unreadable.js) and prints its report only if it lived.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { transports } from '../../../src/ts/remote';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'remote', 'ipc_unreadable.js');

interface VictimReport {
  alive: boolean;
  code: string;
  message: string;
  disconnected: boolean;
  /** Socket descriptors the victim still holds when it reports. */
  sockets: string[];
}

function run(...args: string[]): any {
  const out = execFileSync(process.execPath, [FIXTURE, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

function expectChannelEnded(report: VictimReport, cause: RegExp): void {
  expect(report).toMatchObject({ alive: true, code: 'ERR_REMOTE_PROTOCOL', disconnected: true });
  expect(report.message).toMatch(/could not read/);
  expect(report.message).toMatch(cause);
}

describe('a parent serving a hostile child', () => {
  test("lives through a clone nested deeper than V8's deserializer follows", () => {
    expectChannelEnded(run('victim-parent', 'advanced', 'deep'), /Maximum call stack/);
  });

  test('lives through bytes that are no serialized value (advanced serialization)', () => {
    expectChannelEnded(run('victim-parent', 'advanced', 'garbage'), /deserialize/);
  });

  test('lives through a line that is not JSON (json serialization)', () => {
    expectChannelEnded(run('victim-parent', 'json', 'garbage'), /JSON/);
  });

  // Node's own handler of this internal message asserts that a handle was sent, and its throw
  // comes on a later tick, outside the read callback.
  test.each(['json', 'advanced'])(
    'lives through an acknowledgement of a handle it never sent (%s serialization)',
    (mode) => {
      expectChannelEnded(run('victim-parent', mode, 'handle-ack'), /NODE_HANDLE_ACK/);
    },
  );

  test.each([
    ['a type Node has no conversion for', 'handle-unknown', /handle of unknown type "constructor"/],
    ['a UDP socket of no socket type', 'handle-udp-untyped', /UDP socket of no socket type/],
  ])('lives through a handle passed along as %s', (_, attack, cause) => {
    expectChannelEnded(run('victim-parent', 'json', attack), cause);
  });

  // Node converts these, and fails where only an 'error' event on an object of its own would say.
  test.each([
    ['a connected TCP socket', 'a server', 'handle-connected-as-server', /cannot listen \(EINVAL\) passed as net\.Server/],
    ['a connected Unix socket', 'a server', 'handle-pipe-connected-as-server', /cannot listen \(EINVAL\) passed as net\.Server/],
    ['a UDP socket', 'a server', 'handle-udp-as-server', /cannot listen passed as net\.Server/],
    ['a UDP socket', 'a stream socket', 'handle-udp-as-socket', /no stream passed as net\.Socket/],
    ['a TCP server', 'a UDP socket', 'handle-tcp-as-udp', /no UDP socket passed as dgram\.Socket/],
  ])('lives through %s passed along as %s, and closes it', (_, __, attack, cause) => {
    const report = run('victim-parent', 'json', attack);
    expectChannelEnded(report, cause);
    expect(report.sockets).toEqual([]);
  });

  test('closes a handle that comes with a weakwire message, and ends the channel', () => {
    const report = run('victim-parent', 'json', 'handle-on-envelope');
    expectChannelEnded(report, /a handle with a weakwire message/);
    expect(report.sockets).toEqual([]);
  });

  test('closes a socket made for an internal message, and ends the channel', () => {
    const report = run('victim-parent', 'json', 'handle-internal-socket');
    expectChannelEnded(report, /socket or server for an internal message/);
    expect(report.sockets).toEqual([]);
  });

  test("closes a socket that comes with the application's message when only weakwire listens, and keeps the channel", () => {
    // The hostile child closes its session afterwards, then disconnects: the victim reports then.
    const report = run('victim-parent', 'json', 'handle-untaken');
    expect(report).toMatchObject({ alive: true, message: 'the child-process transport closed', sockets: [] });
    expect(report.code).toBeUndefined();
  });
});

describe('a child serving a hostile parent', () => {
  test('lives through a clone nested deeper than its deserializer follows, and exits on its own', () => {
    const outcome = run('hostile-parent');
    expect(outcome).toMatchObject({ exit: 0, signal: null });
    expectChannelEnded(outcome.report, /Maximum call stack/);
  });
});

describe("the guard on Node's IPC reader", () => {
  let child: ChildProcess;
  beforeEach(() => {
    child = fork(FIXTURE, ['idle'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  });
  afterEach(async () => {
    const exited = once(child, 'exit');
    child.kill();
    await exited;
  });

  function readCallback(): unknown {
    const symbol = Object.getOwnPropertySymbols(child).find((s) => s.description === 'kChannelHandle');
    return (child as any)[symbol as symbol].onread;
  }

  test("stays while any transport is on the channel, and gives Node's reader back after the last", () => {
    const nodes = readCallback();
    const first = transports.childProcess(child, { channel: 'first' });
    const second = transports.childProcess(child, { channel: 'second' });
    first.start({ message() {}, close() {} });
    second.start({ message() {}, close() {} });
    expect(readCallback()).not.toBe(nodes);
    first.close();
    expect(readCallback()).not.toBe(nodes);
    second.close();
    expect(readCallback()).toBe(nodes);
    expect(child.connected).toBe(true);
  });

  describe("with the application's own handles", () => {
    let receiver: ChildProcess;
    beforeEach(async () => {
      receiver = fork(FIXTURE, ['receiver'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      await once(receiver, 'spawn');
    });
    afterEach(async () => {
      if (receiver.exitCode !== null) return;
      const exited = once(receiver, 'exit');
      receiver.kill();
      await exited;
    });

    /** Sends `server` (listening at `where`) to the receiver, closes ours, and reads what a connection to it gets. */
    async function handOver(server: net.Server, where: string | number): Promise<{ answer: unknown; read: string }> {
      // A receiver that dies of the handle fails the test at once.
      const died = once(receiver, 'exit').then(([code, signal]) => {
        throw new Error(`the receiver exited (${code ?? signal})`);
      });
      const answer = once(receiver, 'message');
      receiver.send({ app: 'server' }, server);
      const [message] = await Promise.race([answer, died]);
      died.catch(() => {}); // it exits when the test ends
      // From now on only the receiver's copy listens.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const client = typeof where === 'number' ? net.connect(where, '127.0.0.1') : net.connect(where);
      let read = '';
      client.setEncoding('utf8').on('data', (chunk: string) => (read += chunk));
      await once(client, 'end');
      return { answer: message, read };
    }

    test('lets a listening TCP server through to the listener it was sent for, and it takes connections', async () => {
      const server = net.createServer((socket) => socket.end('hello from the parent'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      const { answer, read } = await handOver(server, port);
      expect(answer).toMatchObject({ app: 'listening', address: { port } });
      expect(read).toBe('hello from the child server');
      expect(receiver.connected).toBe(true);
    });

    // An abstract socket (Linux): closing our server does not unlink a path the receiver listens on.
    (process.platform === 'linux' ? test : test.skip)(
      'lets a listening Unix socket server through to the listener it was sent for, and it takes connections',
      async () => {
        const path = `\0weakwire-ipc-reader-${process.pid}`;
        const server = net.createServer((socket) => socket.end('hello from the parent'));
        await new Promise<void>((resolve) => server.listen(path, resolve));
        const { answer, read } = await handOver(server, path);
        expect(answer).toMatchObject({ app: 'listening' });
        expect(read).toBe('hello from the child server');
        expect(receiver.connected).toBe(true);
      },
    );

    test('lets a connected socket through to the listener it was sent for', async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const accepted = once(server, 'connection');
        const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        const [socket] = await accepted;
        receiver.send({ app: 'socket' }, socket);
        let text = '';
        client.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        await once(client, 'end');
        expect(text).toBe('hello from the child');
        expect(receiver.connected).toBe(true);
      } finally {
        server.close();
      }
    });
  });
});
