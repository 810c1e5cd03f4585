import { MessageChannel } from 'node:worker_threads';
import { connect, transports, type RemoteClient, type RemoteServer, type RemoteSession } from '../../src/ts/remote';

export interface Pair {
  readonly session: RemoteSession;
  readonly remote: RemoteClient<false>;
  close(): void;
}

/** An async client of `server` over an in-process MessageChannel (real ports, one thread). */
export function asyncPair(server: RemoteServer): Pair {
  const channel = new MessageChannel();
  const session = server.serve(transports.messagePort(channel.port1));
  const remote = connect(transports.messagePort(channel.port2), { sync: false });
  return {
    session,
    remote,
    close() {
      remote.close();
      session.close();
    },
  };
}
