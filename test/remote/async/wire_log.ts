import { MessageChannel } from 'node:worker_threads';
import { connect, RemoteServer, transports, type RemoteClient, type RemoteSession, type Transport } from '../../../src/ts/remote';

/** What crossed the wire, in order: `>` a message the client sent, `<` one it received. */
export interface WireLog {
  readonly events: Array<{ dir: '>' | '<'; op: string; seq?: number }>;
  /** Requests the client sent between two answers it received: one entry per round trip. */
  roundTrips(): number;
  clear(): void;
}

/** The client end of a MessageChannel, logging both directions. */
function logged(transport: Transport, log: WireLog['events']): Transport {
  return {
    kind: transport.kind,
    start(handlers) {
      transport.start({
        ...handlers,
        message(message, reply) {
          log.push({ dir: '<', op: String(message.op), seq: message.seq as number | undefined });
          handlers.message(message, reply);
        },
      });
    },
    send(message) {
      log.push({ dir: '>', op: String(message.op), seq: message.seq as number | undefined });
      transport.send(message);
    },
    close: () => transport.close(),
  };
}

export interface LoggedPair {
  readonly session: RemoteSession;
  readonly remote: RemoteClient<false>;
  readonly wire: WireLog;
  close(): void;
}

/** An async client of `server` whose wire traffic is logged. */
export function loggedPair(server: RemoteServer): LoggedPair {
  const channel = new MessageChannel();
  const session = server.serve(transports.messagePort(channel.port1));
  const events: WireLog['events'] = [];
  const remote = connect(logged(transports.messagePort(channel.port2), events));
  return {
    session,
    remote,
    wire: {
      events,
      roundTrips() {
        // A round trip: one or more requests out, then waiting for an answer.
        let trips = 0;
        let sending = false;
        for (const event of events) {
          const request = event.dir === '>' && event.op !== 'free' && event.op !== 'settle' && event.op !== 'hello';
          if (request && !sending) {
            trips++;
            sending = true;
          }
          if (event.dir === '<' && (event.op === 'result' || event.op === 'error')) sending = false;
        }
        return trips;
      },
      clear() {
        events.length = 0;
      },
    },
    close() {
      remote.close();
      session.close();
    },
  };
}
