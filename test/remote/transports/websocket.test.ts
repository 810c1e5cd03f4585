// Transport conformance: one binary frame per message over a real WebSocket (ws on both ends, TCP
// on 127.0.0.1), both ends in this process.
import type { WebSocket } from 'ws';
import { transports } from '../../../src/ts/remote';
import { encodeFrame } from '../../../src/ts/remote/codec/frames';
import { conformanceSuite, notApplicable, type Pair } from './conformance';
import { LocalEnd, until } from './ends';
import { webSocketPair } from './websocket_pair';

interface SocketPair extends Pair {
  readonly peer: LocalEnd;
  readonly localSocket: WebSocket;
  readonly peerSocket: WebSocket;
}

async function openSockets(options: { maxFrameBytes?: number; maxBufferedBytes?: number } = {}): Promise<SocketPair> {
  const [localSocket, peerSocket] = await webSocketPair();
  return {
    local: new LocalEnd(transports.webSocket(localSocket, options)),
    peer: new LocalEnd(transports.webSocket(peerSocket)),
    localSocket,
    peerSocket,
    async dispose() {
      localSocket.terminate();
      peerSocket.terminate();
    },
  };
}

/**
 * Frames that are no protocol message, whatever the frame codec: a text frame, an empty binary
 * frame, and a valid frame cut short. Each is reported.
 */
function writeJunk(socket: WebSocket): { reported: number } {
  socket.send('{"op":"text frames are not protocol messages"}');
  socket.send(new Uint8Array(0));
  const frame = encodeFrame({ op: 'cut', pad: 'x'.repeat(40) });
  socket.send(frame.subarray(0, frame.byteLength >> 1));
  return { reported: 3 };
}

conformanceSuite<SocketPair>(() => ({
  name: 'webSocket (ws over TCP on 127.0.0.1)',
  open: () => openSockets(),
  peerDeath: {
    how: "the peer's connection is destroyed without a close frame",
    kill: async (pair) => void pair.peerSocket.terminate(),
    reportsError: true,
  },
  oversize: { open: (cap) => openSockets({ maxFrameBytes: cap }) },
  backlog: {
    open: (maxBufferedBytes) => openSockets({ maxBufferedBytes }),
    // The peer stops reading its TCP socket: the kernel buffers fill, then bufferedAmount grows.
    stopReading: async (pair) => void pair.peerSocket.pause(),
  },
  malformed: {
    intoLocal: async (pair) => writeJunk(pair.peerSocket),
    intoPeer: async (pair) => writeJunk(pair.localSocket),
  },
  clones: notApplicable('frames are MessagePack: the session sends a frame only what it carries as sent'),
  messageError: notApplicable("a WebSocket has no 'messageerror': frames are decoded by the transport itself"),
}));

describe('webSocket: what a dropped frame reports', () => {
  test('a binary frame that is no message is reported as the stream transport reports one, by what is wrong with it', async () => {
    const pair = await openSockets();
    try {
      await pair.local.start();
      await pair.peer.start();
      const frame = encodeFrame({ op: 'cut', pad: 'x'.repeat(40) });
      pair.peerSocket.send(frame.subarray(0, frame.byteLength >> 1));
      await until(() => pair.local.log.problems.length > 0, 'the report of the cut frame');
      expect(pair.local.log.problems).toEqual([
        expect.objectContaining({
          code: 'ERR_REMOTE_PROTOCOL',
          message: expect.stringMatching(/^websocket transport: dropped a frame: Malformed frame: it ends inside a value/),
        }),
      ]);
    } finally {
      await pair.dispose();
    }
  });
});
