// Transport conformance: a Worker (parent side) to parentPort (inside the worker).
import type { Worker } from 'node:worker_threads';
import { transports } from '../../../src/ts/remote';
import { conformanceSuite } from './conformance';
import { LocalEnd } from './ends';
import { NOT_OBJECTS } from './junk';
import { portCapabilities, type PortPair } from './port_capabilities';
import { startWorkerPeer } from './worker_peer';

interface WorkerPair extends PortPair {
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
  ...portCapabilities(NOT_OBJECTS, (pair) => pair.worker),
}));
