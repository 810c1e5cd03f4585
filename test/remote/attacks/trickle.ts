/**
 * A stream peer that sends slowly: what a net.Socket emits when each small write of the peer
 * arrives as its own read.
 */
import { EventEmitter } from 'node:events';
import { transports, type RemoteServer, type RemoteSession } from '../../../src/ts/remote';
import type { WireMessage } from '../../../src/ts/remote/transport';

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

/** A frame of `bytes` bytes in all (header included): a call with padding. */
export function frameOfSize(bytes: number): Buffer {
  const head = '{"op":"bye","pad":"';
  const payload = Buffer.from(`${head}${'x'.repeat(bytes - 4 - head.length - 2)}"}`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/**
 * A server serving a stand-in socket that the test writes frames to by hand (any JSON text, so
 * nesting deeper than structured clone allows), collecting the frames the server writes back.
 */
export function servedStream(server: RemoteServer): {
  session: RemoteSession;
  /** Sends one frame holding `json`. */
  send(json: string): void;
  /** The server's answers so far. */
  answers: any[];
} {
  const answers: any[] = [];
  const emitter = Object.assign(new EventEmitter(), {
    write(frame: Buffer) {
      answers.push(JSON.parse(frame.subarray(4).toString()));
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
      const payload = Buffer.from(json);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length);
      emitter.emit('data', Buffer.concat([header, payload]));
    },
  };
}
