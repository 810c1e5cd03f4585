/**
 * docs/security.md, options and their defaults: each bounds what it says, and only that.
 */
import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { connect, RemoteServer, transports } from '../../../src/ts/remote';

describe('maxPendingCalls', () => {
  test("counts the application's calls, not the handshake: with 1, the first call right after connect works", async () => {
    const server = new RemoteServer({ modules: { tools: () => ({ echo: (v: unknown) => v }) } });
    const channel = new MessageChannel();
    const session = server.serve(transports.messagePort(channel.port1));
    const remote = connect(transports.messagePort(channel.port2), { maxPendingCalls: 1 });
    try {
      // The HELLO still waiting for its answer took the one place: ERR_REMOTE_BUSY.
      const tools = await remote.require('tools');
      await expect(tools.echo(1)).resolves.toBe(1);
    } finally {
      remote.close();
      session.close();
    }
  });
});

describe('childProcess exitGraceMs', () => {
  test('longer than a timer can wait is refused (it fired after 1 ms, with a TimeoutOverflowWarning)', () => {
    const child = Object.assign(new EventEmitter(), { send: () => true, connected: true, pid: 1, signalCode: null });
    expect(() => transports.childProcess(child, { exitGraceMs: 2 ** 31 })).toThrow(/exitGraceMs/);
  });
});
