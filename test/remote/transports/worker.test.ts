// Transport conformance: a Worker (parent side) to parentPort (inside the worker).
import type { Worker } from 'node:worker_threads';
import { transports } from '../../../src/ts/remote';
import { conformanceSuite, notApplicable, type Pair } from './conformance';
import { LocalEnd, type RemoteEnd } from './ends';
import { NOT_OBJECTS } from './junk';
import { startWorkerPeer } from './worker_peer';

interface WorkerPair extends Pair {
  readonly peer: RemoteEnd;
  readonly worker: Worker;
}

conformanceSuite<WorkerPair>(() => ({
  name: 'worker (Worker to parentPort)',
  async open() {
    const peer = startWorkerPeer('parentPort');
    return {
      local: new LocalEnd(transports.messagePort(peer.worker)),
      peer: peer.end,
      worker: peer.worker,
      dispose: () => peer.dispose(),
    };
  },
  peerDeath: {
    how: 'the worker is terminated',
    kill: async (pair) => void (await pair.worker.terminate()),
    reportsError: true,
  },
  oversize: notApplicable("postMessage has no size cap: a message is cloned into the peer's queue"),
  backlog: notApplicable("postMessage hands each message to the peer's queue: nothing waits on the sending side"),
  malformed: {
    intoLocal: async (pair) => {
      await pair.peer.raw(NOT_OBJECTS);
      return { reported: NOT_OBJECTS.length };
    },
    intoPeer: async (pair) => {
      for (const value of NOT_OBJECTS) pair.worker.postMessage(value);
      return { reported: NOT_OBJECTS.length };
    },
  },
  messageError: {
    emitLocal: (pair) => void pair.worker.emit('messageerror', new Error('synthetic messageerror')),
    emitPeer: (pair) => pair.peer.emitMessageError(),
    real: async (pair) => {
      expect(await pair.peer.sendDeep(2500)).toEqual({ sent: true });
    },
  },
}));
