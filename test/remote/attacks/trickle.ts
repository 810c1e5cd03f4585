/**
 * A stream peer that sends slowly: what a net.Socket emits when each small write of the peer
 * arrives as its own read.
 */
import { EventEmitter } from 'node:events';
import { transports, type RemoteServer, type RemoteSession } from '../../../src/ts/remote';
import type { WireMessage } from '../../../src/ts/remote/transport';
import { frameOfJson, messageOfFrame } from '../frames';

/**
 * A stream transport on a stand-in socket that the test feeds: what a net.Socket emits when the
 * peer sends slowly, each 'data' event one small read.
 */
export function trickledStream(): { emitter: EventEmitter; messages: WireMessage[] } {
  const emitter = Object.assign(new EventEmitter(), { write: () => true, end() {}, destroy() {} });
  const messages: WireMessage[] = [];
  transports.stream(emitter).start({ message: (m) => void messages.push(m), close() {} });
  return { emitter, messages };
}

/**
 * A frame of `bytes` bytes in all (header included): a `bye` with padding, the padding last, so
 * bytes from offset 23 up to the last two are padding characters. Where a string's length crosses
 * a MessagePack size class (a 255-byte string has a 2-byte head, a 256-byte one a 3-byte head),
 * no padding length gives the size: a longer name of the padding key (up to two letters more,
 * still before offset 23) makes up the difference.
 */
export function frameOfSize(bytes: number): Buffer {
  for (const key of ['pad', 'padd', 'paddd']) {
    // header 4, fixmap 1, "op" 3, "bye" 4, the key (1 + its letters), then the string's own
    // header and its bytes.
    const fixed = 12 + 1 + key.length;
    for (const [stringHead, max] of [[1, 31], [2, 0xff], [3, 0xffff], [5, 0xffffffff]]) {
      const length = bytes - fixed - stringHead;
      if (length >= 0 && length <= max) {
        const frame = frameOfJson(JSON.stringify({ op: 'bye', [key]: 'x'.repeat(length) }));
        if (frame.length === bytes) return frame;
      }
    }
  }
  throw new Error(`no frame of ${bytes} bytes`);
}

/**
 * A server serving a stand-in socket that the test writes frames to by hand (any JSON text, so
 * nesting deeper than structured clone allows), collecting the frames the server writes back.
 */
export function servedStream(server: RemoteServer): {
  session: RemoteSession;
  /** Sends one frame holding the message written as `json`. */
  send(json: string): void;
  /** The server's answers so far. */
  answers: any[];
} {
  const answers: any[] = [];
  const emitter = Object.assign(new EventEmitter(), {
    write(frame: Buffer) {
      answers.push(messageOfFrame(frame));
      return true;
    },
    end() {},
    destroy() {},
  });
  const session = server.serve(transports.stream(emitter));
  return {
    session,
    answers,
    send(json: string) {
      emitter.emit('data', frameOfJson(json));
    },
  };
}
