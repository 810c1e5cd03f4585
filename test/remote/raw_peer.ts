import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PROTOCOL_NAME, PROTOCOL_VERSION, transports, type RemoteServer, type RemoteSession } from '../../src/ts/remote';

/** A hand-driven peer: the test writes raw protocol messages to a served MessagePort. */
export interface RawPeer {
  readonly session: RemoteSession;
  readonly port: MessagePort;
  /** Every message the server sent us (a batch's messages one by one). */
  readonly received: any[];
  post(message: unknown): void;
  /** Posts a request and resolves with the answer carrying its seq. */
  ask(message: Record<string, unknown>): Promise<any>;
  hello(): Promise<any>;
  closed: Promise<void>;
  close(): void;
}

export function rawPeer(server: RemoteServer): RawPeer {
  const channel = new MessageChannel();
  const session = server.serve(transports.messagePort(channel.port1));
  const port = channel.port2;
  const received: any[] = [];
  const waiting = new Map<number, (answer: any) => void>();
  let seq = 1_000_000;
  let closedResolve!: () => void;
  const closed = new Promise<void>((resolve) => (closedResolve = resolve));
  const receive = (message: any): void => {
    if (message?.op === 'batch' && Array.isArray(message.m)) {
      for (const member of message.m) receive(member);
      return;
    }
    received.push(message);
    const w = waiting.get(message?.seq);
    if (w !== undefined) {
      waiting.delete(message.seq);
      w(message);
    }
  };
  port.on('message', receive);
  port.on('close', () => closedResolve());
  const peer: RawPeer = {
    session,
    port,
    received,
    closed,
    post: (message) => port.postMessage(message),
    ask(message) {
      const id = seq++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        port.postMessage({ ...message, seq: id });
      });
    },
    hello: () => peer.ask({ op: 'hello', protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION }),
    close() {
      port.close();
      session.close();
    },
  };
  return peer;
}
