/**
 * docs/security.md: a hostile peer cannot hang you. A message costs work bounded by its real
 * size, and no message makes this side block or loop on the peer's say-so.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { connect, transports } from '../../../src/ts/remote';

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
