/**
 * The sending side, item "Bad input gets a clear error": a value that throws when the transport
 * touches it fails only the call that carries it, and the session stays usable.
 */
import { MessageChannel } from 'node:worker_threads';
import { connect, RemoteServer, transports } from '../../../src/ts/remote';

/** A revoked Proxy: any operation on it throws, `instanceof` and string conversion included. */
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Plain data when weakwire checks it; its getter throws a revoked Proxy when postMessage reads it again. */
function throwsOnSecondRead(): object {
  let reads = 0;
  return {
    get x() {
      if (reads++ === 0) return 1;
      throw revoked();
    },
  };
}

describe('an argument whose getter throws a revoked Proxy while the transport writes it', () => {
  // Describing the failure read the thrown value (`instanceof Error`), which threw again, out of
  // the transport's send: the session took it for a dead pipe and closed.
  test('fails only its call, with ERR_REMOTE_UNENCODABLE; the session stays open', async () => {
    const server = new RemoteServer({ modules: { tools: () => ({ echo: (v: unknown) => typeof v, ok: () => 1 }) } });
    const channel = new MessageChannel();
    server.serve(transports.messagePort(channel.port2));
    const remote = connect(transports.messagePort(channel.port1));
    try {
      const tools = await remote.require('tools');
      await expect(tools.echo(throwsOnSecondRead())).rejects.toMatchObject({ code: 'ERR_REMOTE_UNENCODABLE' });
      expect(remote.closed).toBe(false);
      expect(await tools.ok()).toBe(1);
    } finally {
      remote.close();
      channel.port2.close();
    }
  });
});
