/**
 * A hostile peer on a TCP connection to the host's listener on 127.0.0.1: length-prefixed JSON
 * frames written by hand, and junk frames (bad JSON, bad UTF-8, non-objects, empty, over the cap).
 */
import { once } from 'node:events';
import net from 'node:net';
import type { Wire } from '../peer';
import { Host } from './host';

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** Junk frames; the last one is over the cap (its payload follows, so the stream stays in step). */
function junkFrames(maxFrameBytes: number): ReadonlyArray<() => Buffer> {
  return [
    () => frame(Buffer.from('{"op":')),
    () => frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
    () => frame(Buffer.from('[1,2]')),
    () => frame(Buffer.from('42')),
    () => frame(Buffer.from('null')),
    () => frame(Buffer.alloc(0)),
    () => frame(Buffer.alloc(maxFrameBytes + 1, 0x20)),
  ];
}

export function streamWire(): Wire {
  let host: Host | undefined;
  let socket: net.Socket | undefined;
  let maxFrameBytes = 0;
  let junk: ReadonlyArray<() => Buffer> = [];
  return {
    name: 'stream (TCP)',
    json: true,
    syncRequests: false,
    junkKinds: 7,
    async open(onMessage) {
      host ??= await Host.worker();
      socket?.destroy();
      const served = await host.run<{ port: number; maxFrameBytes: number }>('serve', { kind: 'tcp' });
      maxFrameBytes = served.maxFrameBytes;
      junk = junkFrames(maxFrameBytes);
      const connection = net.connect({ port: served.port, host: '127.0.0.1', noDelay: true });
      await once(connection, 'connect');
      socket = connection;
      let buffered = Buffer.alloc(0);
      connection.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
          const length = buffered.readUInt32BE(0);
          onMessage(JSON.parse(buffered.subarray(4, 4 + length).toString('utf8')));
          buffered = buffered.subarray(4 + length);
        }
      });
      connection.on('error', () => {});
      // The server sees the connection and serves it before it reads a byte of it.
      await host.probe();
    },
    send(message) {
      let json: string | undefined;
      try {
        json = JSON.stringify(message);
      } catch {
        return false;
      }
      if (json === undefined) return false;
      const payload = Buffer.from(json, 'utf8');
      // Over the cap the server skips it without reading it: it is junk, not a message.
      socket!.write(frame(payload));
      return payload.length <= maxFrameBytes;
    },
    requestSync: () => Promise.reject(new Error('a stream has no synchronous requests')),
    junk: (kind) => void socket!.write(junk[kind]()),
    reset: () => host!.reset(),
    idle: () => host!.idle(),
    probe: () => host!.probe(),
    close: async () => void socket?.destroy(),
    async restart() {
      await this.dispose();
      host = undefined;
    },
    async dispose() {
      socket?.destroy();
      await host?.dispose();
    },
  };
}
