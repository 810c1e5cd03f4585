/**
 * docs/security.md: a hostile peer cannot hang you. A message costs work bounded by its real
 * size, and no message makes this side block or loop on the peer's say-so.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { connect, transports } from '../../../src/ts/remote';
import type { Transport, TransportHandlers, WireMessage } from '../../../src/ts/remote/transport';

/** A hand-written server on a MessageChannel: answers hello and require, and `onCall` for calls. */
function hostileServer(port: MessagePort, onCall: (call: any, post: (m: unknown) => void) => void): void {
  port.on('message', (message) => {
    if (message.op === 'hello') port.postMessage({ op: 'result', seq: message.seq, value: 2 });
    else if (message.op === 'require') port.postMessage({ op: 'result', seq: message.seq, value: { $: 'ref', id: 1 } });
    else if (message.op === 'call') onCall(message, (m) => port.postMessage(m));
  });
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("reporting a failure nobody awaited runs none of the peer's code", () => {
  test('a rejection whose toString is a remote function is not called (it was called in a loop)', async () => {
    const channel = new MessageChannel();
    const remote = connect(transports.messagePort(channel.port1));
    remote.on('error', () => {});
    let toStringCalls = 0;
    // Each call gets a rejection whose `toString` is the server's function #9; calling it to
    // print the rejection made a call, which got the same rejection, and so on forever.
    const rejection = { $: 'object', e: [['toString', { $: 'ref', id: 9, fn: true }]] };
    hostileServer(channel.port2, (call, post) => {
      if (call.target === 9) toStringCalls++;
      post({ op: 'error', seq: call.seq, error: rejection });
    });
    try {
      const tools = await remote.require('tools');
      void tools.fail();
      await settle(200);
    } finally {
      remote.close();
      channel.port2.close();
    }
    expect(toStringCalls).toBe(0);
  });
});

/** A sync transport in this thread: the test plays the server by answering `requestSync`. */
function fakeSyncTransport(): Transport & { handlers: TransportHandlers; requests: WireMessage[] } {
  const transport = {
    kind: 'fake-sync',
    handlers: undefined as unknown as TransportHandlers,
    requests: [] as WireMessage[],
    start(handlers: TransportHandlers) {
      transport.handlers = handlers;
    },
    send() {},
    requestSync(message: WireMessage): WireMessage {
      transport.requests.push(message);
      return message.op === 'hello'
        ? { op: 'result', seq: message.seq, value: 2 }
        : { op: 'result', seq: message.seq, value: 'answered' };
    },
    close() {},
  };
  return transport;
}

describe('a sync client that is not calling the server', () => {
  test('does not block on a request because of an unsolicited error carrying a reference', () => {
    const transport = fakeSyncTransport();
    const remote = connect(transport, { sync: true });
    const reported: unknown[] = [];
    remote.on('error', (error) => reported.push(error));
    const before = transport.requests.length;
    // An error about "a message of ours that had no seq", whose value is a server object: the
    // client read its `code` to sort it, a synchronous request that blocks until the server answers.
    transport.handlers.message({ op: 'error', seq: 0, error: { $: 'ref', id: 1 } });
    expect(reported).toHaveLength(1);
    expect(transport.requests.slice(before)).toEqual([]);
    remote.close();
  });
});
