/**
 * A sync client whose server answers from the same thread would block forever (the server
 * answers from the event loop the client's wait blocks): it fails at once, saying why and what to do.
 */
import { connect, RemoteServer, transports } from '../../../src/ts/remote';

test('connect({ sync: true }) to a server in the same thread fails at once with a clear error', () => {
  const channel = transports.workerSyncChannel();
  new RemoteServer({ modules: {} }).serve(channel.transport);
  const started = Date.now();
  expect(() => connect(transports.workerSyncClient(channel.end), { sync: true })).toThrow(
    /A sync client cannot be answered by a server in its own thread.*Run the client in a worker thread.*or connect with \{ sync: false \}/,
  );
  expect(Date.now() - started).toBeLessThan(1_000);
  channel.transport.close();
});
