// Transport conformance: length-prefixed JSON frames over a real TCP connection on 127.0.0.1,
// both ends in this process.
import net from 'node:net';
import { transports } from '../../../src/ts/remote';
import { socketPair } from '../socket_pair';
import { conformanceSuite, notApplicable, type Pair } from './conformance';
import { LocalEnd } from './ends';
import { BAD_FRAME_PAYLOADS, frameOf } from './junk';

interface SocketPair extends Pair {
  readonly peer: LocalEnd;
  /** The sockets under the local and the peer transport. */
  readonly localSocket: net.Socket;
  readonly peerSocket: net.Socket;
}

async function openSockets(options: { maxFrameBytes?: number; maxBufferedBytes?: number } = {}): Promise<SocketPair> {
  const [localSocket, peerSocket] = await socketPair();
  return {
    local: new LocalEnd(transports.stream(localSocket, options)),
    peer: new LocalEnd(transports.stream(peerSocket)),
    localSocket,
    peerSocket,
    async dispose() {
      localSocket.destroy();
      peerSocket.destroy();
    },
  };
}

const junkFrames = Buffer.concat(BAD_FRAME_PAYLOADS.map((payload) => frameOf(payload)));

conformanceSuite<SocketPair>(() => ({
  name: 'stream (TCP on 127.0.0.1)',
  open: () => openSockets(),
  peerDeath: {
    how: "the peer's connection is reset",
    kill: async (pair) => void pair.peerSocket.resetAndDestroy(),
    reportsError: true,
  },
  oversize: { open: (cap) => openSockets({ maxFrameBytes: cap }) },
  backlog: {
    open: (maxBufferedBytes) => openSockets({ maxBufferedBytes }),
    // The peer's socket stops reading: the kernel buffers fill, then the local transport's.
    stopReading: async (pair) => void pair.peerSocket.pause(),
  },
  malformed: {
    intoLocal: async (pair) => {
      pair.peerSocket.write(junkFrames);
      return { reported: BAD_FRAME_PAYLOADS.length };
    },
    intoPeer: async (pair) => {
      pair.localSocket.write(junkFrames);
      return { reported: BAD_FRAME_PAYLOADS.length };
    },
  },
  clones: notApplicable('frames are MessagePack: the session sends a frame only what it carries as sent'),
  messageError: notApplicable("a byte stream has no 'messageerror': frames are parsed by the transport itself"),
}));
