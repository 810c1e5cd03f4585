// Transport conformance: a MessagePort (one end of a MessageChannel) to a peer in a worker thread.
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { transports } from '../../../src/ts/remote';
import { conformanceSuite, notApplicable } from './conformance';
import { LocalEnd } from './ends';
import { NOT_OBJECTS } from './junk';
import { portCapabilities, type PortPair } from './port_capabilities';
import { startWorkerPeer } from './worker_peer';

interface MessagePortPair extends PortPair {
  readonly port: MessagePort;
  readonly worker: Worker;
}

conformanceSuite<MessagePortPair>(() => ({
  name: 'message-port (MessageChannel to a worker thread)',
  async open() {
    const { port1, port2 } = new MessageChannel();
    const peer = startWorkerPeer('port', { port: port2 }, [port2]);
    return {
      local: new LocalEnd(transports.messagePort(port1)),
      peer: peer.end,
      port: port1,
      worker: peer.worker,
      dispose: async () => {
        port1.close();
        await peer.dispose();
      },
    };
  },
  peerDeath: {
    how: "the peer's worker is terminated",
    kill: async (pair) => void (await pair.worker.terminate()),
    reportsError: notApplicable("a MessagePort reports its peer's end as 'close', the same as an orderly close"),
  },
  ...portCapabilities(NOT_OBJECTS, (pair) => pair.port),
}));
