/**
 * Item "cannot hang", on the frame transports: a frame the receiver cannot decode, but whose
 * operation and ids it can still read, is answered for those ids (an error answer for a request,
 * a failed call for an answer, a rejection for a settle) instead of being dropped while its caller
 * waits for callTimeoutMs.
 *
 * Such frames come from our own peer, too: a value whose getter returns plain data to the sending
 * side's scan and a Date (or a Map) to the frame encoder's read goes as MessagePack the decoder
 * refuses (a timestamp extension, a map with a number key).
 */
import { connect, RemoteServer, transports, type RemoteClient } from '../../../src/ts/remote';
import { socketPair } from '../socket_pair';
import { webSocketPair } from '../transports/websocket_pair';
import type { Transport } from '../../../src/ts/remote/transport';

/** Far above what the answer takes; the old code failed the call only when this ran out. */
const TIMEOUT_MS = 20_000;

/** Plain data on its first read (the scan); `second()` on every read after (the encoder). */
function twoFaced(second: () => unknown): { x: unknown } {
  let reads = 0;
  return {
    get x() {
      return reads++ === 0 ? 1 : second();
    },
  };
}

interface Tools {
  kind(value: { x: unknown }): string;
  give(second: 'date' | 'map'): { x: unknown };
  later(): Promise<{ x: unknown }>;
  ok(): number;
}

const seconds = { date: () => new Date(0), map: () => new Map([[1, 2]]) };

function served(): Tools {
  return {
    kind: (value) => typeof value.x,
    give: (second) => twoFaced(seconds[second]),
    later: async () => twoFaced(seconds.date),
    ok: () => 1,
  };
}

async function withPair(
  ends: () => Promise<[Transport, Transport]>,
  use: (tools: Tools, remote: RemoteClient<false>) => Promise<void>,
): Promise<void> {
  const [client, server] = await ends();
  const remoteServer = new RemoteServer({ modules: { tools: served }, callTimeoutMs: TIMEOUT_MS });
  const session = remoteServer.serve(server);
  session.on('error', () => {});
  const remote = connect(client, { callTimeoutMs: TIMEOUT_MS });
  remote.on('error', () => {});
  try {
    await use((await remote.require('tools')) as unknown as Tools, remote);
  } finally {
    remote.close();
    session.close();
  }
}

async function streams(): Promise<[Transport, Transport]> {
  const [a, b] = await socketPair();
  return [transports.stream(a), transports.stream(b)];
}

async function webSockets(): Promise<[Transport, Transport]> {
  const [a, b] = await webSocketPair();
  return [transports.webSocket(a), transports.webSocket(b)];
}

describe.each([
  ['stream', streams],
  ['WebSocket', webSockets],
])('%s transport: a frame the receiver cannot decode', (_name, ends) => {
  test.each(['date', 'map'] as const)('as a request (an argument turning %s) gets an error answer at once', async (second) => {
    await withPair(ends, async (tools) => {
      await expect(tools.kind(twoFaced(seconds[second]))).rejects.toMatchObject({ code: 'ERR_REMOTE_PROTOCOL' });
      expect(await tools.ok()).toBe(1);
    });
  });

  test.each(['date', 'map'] as const)('as an answer (a result turning %s) fails its call at once', async (second) => {
    await withPair(ends, async (tools) => {
      await expect(tools.give(second)).rejects.toMatchObject({ code: 'ERR_REMOTE_PROTOCOL' });
      expect(await tools.ok()).toBe(1);
    });
  });

  test('as a settle (a promise resolving to such a value) rejects that promise at once', async () => {
    await withPair(ends, async (tools) => {
      await expect(tools.later()).rejects.toMatchObject({ code: 'ERR_REMOTE_PROTOCOL' });
      expect(await tools.ok()).toBe(1);
    });
  });
});
