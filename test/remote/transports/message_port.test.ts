// Transport conformance: a MessagePort (one end of a MessageChannel) to a peer in a worker thread.
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { transports } from '../../../src/ts/remote';
import { conformanceSuite, notApplicable, type Pair } from './conformance';
import { LocalEnd, type RemoteEnd } from './ends';
import { NOT_OBJECTS } from './junk';
import { startWorkerPeer } from './worker_peer';

interface PortPair extends Pair {
  readonly peer: RemoteEnd;
  readonly port: MessagePort;
  readonly worker: Worker;
}

conformanceSuite<PortPair>(() => ({
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
  oversize: notApplicable('postMessage has no size cap: a message is cloned into the peer\'s queue'),
  backlog: notApplicable("postMessage hands each message to the peer's queue: nothing waits on the sending side"),
  malformed: {
    intoLocal: async (pair) => {
      await pair.peer.raw(NOT_OBJECTS);
      return { reported: NOT_OBJECTS.length };
    },
    intoPeer: async (pair) => {
      for (const value of NOT_OBJECTS) pair.port.postMessage(value);
      return { reported: NOT_OBJECTS.length };
    },
  },
  messageError: {
    emitLocal: (pair) => void pair.port.emit('messageerror', new Error('synthetic messageerror')),
    emitPeer: (pair) => pair.peer.emitMessageError(),
    real: async (pair) => {
      expect(await pair.peer.sendDeep(2500)).toEqual({ sent: true });
    },
  },
}));
