// Transport conformance: the async messages of a worker-sync channel, with each of its two ends
// (answering, requesting) here in turn and the other in a worker thread. Its synchronous requests
// have their own tests (test/remote/worker_transports.test.ts).
import type { MessagePort, Worker } from 'node:worker_threads';
import { transports } from '../../../src/ts/remote';
import type { WorkerSyncEnd } from '../../../src/ts/remote/transports';
import type { Transport } from '../../../src/ts/remote/transport';
import { conformanceSuite, notApplicable, type TransportHarness } from './conformance';
import { LocalEnd } from './ends';
import { BAD_SYNC_ENVELOPES } from './junk';
import { portCapabilities, type PortPair } from './port_capabilities';
import { startWorkerPeer } from './worker_peer';

interface SyncPair extends PortPair {
  readonly worker: Worker;
  /** The port under the local transport. */
  readonly localPort: MessagePort;
}

/** The answering transport keeps its port private; the tests reach into it for raw access. */
function answeringPort(transport: Transport): MessagePort {
  return (transport as unknown as { port: MessagePort }).port;
}

const common: Omit<TransportHarness<SyncPair>, 'name' | 'open'> = {
  peerDeath: {
    how: "the peer's worker is terminated",
    kill: async (pair) => void (await pair.worker.terminate()),
    reportsError: notApplicable("a sync channel's port reports its peer's end as 'close', the same as an orderly close"),
  },
  ...portCapabilities(BAD_SYNC_ENVELOPES, (pair) => pair.localPort),
};

describe('answering end here', () => {
  conformanceSuite<SyncPair>(() => ({
    ...common,
    name: 'worker-sync (answering end here, requesting end in a worker)',
    async open() {
      const channel = transports.workerSyncChannel();
      const peer = startWorkerPeer('sync-client', { end: channel.end }, channel.transferList);
      return {
        local: new LocalEnd(channel.transport),
        localPort: answeringPort(channel.transport),
        peer: peer.end,
        worker: peer.worker,
        dispose: async () => {
          channel.transport.close();
          await peer.dispose();
        },
      };
    },
  }));
});

describe('requesting end here', () => {
  conformanceSuite<SyncPair>(() => ({
    ...common,
    name: 'worker-sync (requesting end here, answering end in a worker)',
    async open() {
      const peer = startWorkerPeer('sync-answer');
      const { end } = (await peer.first) as { end: WorkerSyncEnd };
      const transport = transports.workerSyncClient(end);
      return {
        local: new LocalEnd(transport),
        localPort: end.port,
        peer: peer.end,
        worker: peer.worker,
        dispose: async () => {
          transport.close();
          await peer.dispose();
        },
      };
    },
  }));
});
