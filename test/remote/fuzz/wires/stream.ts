/**
 * A hostile peer on a TCP connection to the host's listener on 127.0.0.1: length-prefixed
 * MessagePack frames written by hand (from the JSON the fuzzer makes), and junk frames (JSON
 * text, bad MessagePack, bad UTF-8, non-objects, extensions, empty, over the cap).
 */
import { once } from 'node:events';
import net from 'node:net';
import { Host } from './host';
import { HostedWire } from './hosted_wire';
import { BAD_FRAME_PAYLOADS } from '../../transports/junk';
import { messageOfFrame, msgpackOfJson } from '../../frames';

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** Junk frames; the last one is over the cap (its payload follows, so the stream stays in step). */
const JUNK_FRAMES: ReadonlyArray<(maxFrameBytes: number) => Buffer> = [
  ...BAD_FRAME_PAYLOADS.map((payload) => () => frame(payload)),
  (maxFrameBytes) => frame(Buffer.alloc(maxFrameBytes + 1, 0x20)),
];

export class StreamWire extends HostedWire {
  readonly name = 'stream (TCP)';
  readonly json = true;
  readonly syncRequests = false;
  readonly junkKinds = JUNK_FRAMES.length;
  private socket: net.Socket | undefined;
  private maxFrameBytes = 0;

  protected startHost(): Promise<Host> {
    return Host.worker();
  }

  protected async connect(host: Host, onMessage: (message: unknown) => void): Promise<void> {
    const served = await host.run<{ port: number; maxFrameBytes: number }>('serve', { kind: 'tcp' });
    this.maxFrameBytes = served.maxFrameBytes;
    // Small frames back to back would otherwise wait for delayed ACKs (Nagle).
    const socket = net.connect({ port: served.port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect');
    this.socket = socket;
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const length = buffered.readUInt32BE(0);
        onMessage(messageOfFrame(buffered.subarray(0, 4 + length)));
        buffered = buffered.subarray(4 + length);
      }
    });
    socket.on('error', () => {});
    // The host serves the connection once it sees it: a round trip to the host makes sure.
    await host.probe();
  }

  protected disconnect(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  send(message: unknown): boolean {
    let json: string | undefined;
    try {
      json = JSON.stringify(message);
    } catch {
      return false;
    }
    if (json === undefined) return false;
    const payload = msgpackOfJson(json);
    this.socket!.write(frame(payload));
    // Over the cap the server skips it unread: junk, not a message.
    return payload.length <= this.maxFrameBytes;
  }

  junk(kind: number): void {
    this.socket!.write(JUNK_FRAMES[kind](this.maxFrameBytes));
  }
}
