/**
 * Every reference the peer sends either becomes a proxy receipt or is given back with a FREE:
 * a refused, malformed, stale or late message pins nothing on its sender. Before the fix, the
 * callbacks in the arguments of a refused call stayed exported on the client for the whole
 * session, and an own `__proto__` key made the whole message fail to decode.
 */
import { RemoteServer, connect, transports } from '../../src/ts/remote';
import { PROTOCOL_VERSION } from '../../src/ts/remote';
import { gcUntil } from '../../src/ts/testing';
import { asyncPair, type Pair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';
import { MessageChannel } from 'node:worker_threads';

const tools = {
  echo: (v: unknown) => v,
  notAFunction: 42,
};

describe('seen from a hand-written peer: what the server gives back', () => {
  let peer: RawPeer;
  let toolsId: number;
  beforeEach(async () => {
    peer = rawPeer(new RemoteServer({ modules: { tools: () => tools } }));
    await peer.hello();
    toolsId = (await peer.ask({ op: 'require', name: 'tools' })).value.id;
  });
  afterEach(() => peer.close());

  /** Sends `message` (with our refs 501 and 502 in it) and waits for the FREE of both. */
  async function freedAfter(message: Record<string, unknown>): Promise<void> {
    const answer = await peer.ask(message);
    expect(answer.op === 'error' || answer.stale === true).toBe(true);
    const started = Date.now();
    while (Date.now() - started < 2_000) {
      const frees = peer.received.filter((m) => m?.op === 'free').flatMap((m) => m.e);
      if (frees.some(([id]: number[]) => id === 501) && frees.some(([id]: number[]) => id === 502)) {
        expect(frees).toEqual(expect.arrayContaining([[501, 1], [502, 1]]));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no FREE for the references of ${JSON.stringify(message)}`);
  }

  const refs = [{ $: 'ref', id: 501, fn: true }, { $: 'array', v: [{ $: 'ref', id: 502 }] }];

  test('a call of a member that is not a function', async () => {
    await freedAfter({ op: 'call', target: toolsId, path: ['notAFunction'], args: refs });
  });

  test('a call of a missing member', async () => {
    await freedAfter({ op: 'call', target: toolsId, path: ['missing'], args: refs });
  });

  test('a call of a denied member', async () => {
    await freedAfter({ op: 'call', target: toolsId, path: ['constructor'], args: refs });
  });

  test('a keyed call answered stale', async () => {
    await freedAfter({ op: 'call', target: toolsId, path: ['echo'], expect: toolsId, args: refs });
  });

  test('a write refused because the server does not allow writes', async () => {
    await freedAfter({ op: 'set', target: toolsId, path: ['x'], value: { $: 'array', v: refs } });
  });

  test('a call whose arguments fail to decode after the references', async () => {
    await freedAfter({ op: 'call', target: toolsId, path: ['echo'], args: [...refs, { $: 'weird' }] });
  });

  test('a message that fails validation', async () => {
    await freedAfter({ op: 'call', target: 'nope', path: ['echo'], args: refs });
  });

  test('a request before the handshake', async () => {
    const fresh = rawPeer(new RemoteServer({ modules: { tools: () => tools } }));
    const answer = await fresh.ask({ op: 'call', target: 1, path: ['echo'], args: refs });
    expect(answer.error.message).toMatch(/Handshake required/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fresh.received.filter((m) => m?.op === 'free').flatMap((m) => m.e)).toEqual(
      expect.arrayContaining([[501, 1], [502, 1]]),
    );
    fresh.close();
  });

  test('a settle of a promise nobody waits for', async () => {
    peer.post({ op: 'settle', id: 999, ok: true, value: { $: 'array', v: refs } });
    await freedAfter({ op: 'call', target: toolsId, path: ['missing'], args: [] }).catch(() => undefined);
    const frees = peer.received.filter((m) => m?.op === 'free').flatMap((m) => m.e);
    expect(frees).toEqual(expect.arrayContaining([[501, 1], [502, 1]]));
  });

  test('an answer to a request never made', async () => {
    peer.post({ op: 'result', seq: 4242, value: { $: 'array', v: refs } });
    await peer.ask({ op: 'call', target: toolsId, path: ['echo'], args: [1] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const frees = peer.received.filter((m) => m?.op === 'free').flatMap((m) => m.e);
    expect(frees).toEqual(expect.arrayContaining([[501, 1], [502, 1]]));
  });
});

describe('seen from a client: refused calls do not keep its callbacks exported', () => {
  let pair: Pair;
  beforeEach(() => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
  });
  afterEach(() => pair.close());

  test.each([
    ['not a function', (t: any, cb: () => void) => t.notAFunction(cb)],
    ['a missing member', (t: any, cb: () => void) => t.missing(cb)],
    ['a denied member', (t: any, cb: () => void) => t.hasOwnProperty(cb)],
    ['a refused write', (t: any, cb: () => void) => pair.remote.set(t, 'handler', cb)],
  ])('%s', async (_what, refused) => {
    const remote = await pair.remote.require('tools');
    await expect(refused(remote, () => {})).rejects.toThrow();
    await gcUntil(() => pair.remote.stats().exportedObjects === 0);
  });
});

describe('an own "__proto__" key', () => {
  let pair: Pair;
  beforeEach(() => {
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
  });
  afterEach(() => pair.close());

  test('round-trips as an own data property, defined and never assigned', async () => {
    const remote = await pair.remote.require('tools');
    const parsed = JSON.parse('{"a": 1, "__proto__": {"polluted": true}}');
    const back = await remote.echo(parsed);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
    expect(back.a).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('pins nothing encoded before it', async () => {
    const remote = await pair.remote.require('tools');
    const value = JSON.parse('{"__proto__": 1}');
    value.cb = () => 'callback';
    await remote.echo(value);
    await gcUntil(() => pair.remote.stats().exportedObjects === 0 && pair.session.stats().proxies === 0);
  });
});

describe('late answers', () => {
  test('a result that arrives after its call timed out gives its references back', async () => {
    // A hand-written server that answers the call only after the client gave up on it.
    const channel = new MessageChannel();
    const server = channel.port1;
    const seen: any[] = [];
    server.on('message', (message: any) => {
      seen.push(message);
      if (message.op === 'hello') server.postMessage({ op: 'result', seq: message.seq, value: PROTOCOL_VERSION });
      if (message.op === 'require') server.postMessage({ op: 'result', seq: message.seq, value: { $: 'ref', id: 1 } });
      if (message.op === 'call') {
        setTimeout(() => server.postMessage({ op: 'result', seq: message.seq, value: { $: 'ref', id: 7 } }), 1_000);
      }
    });
    // The timeout holds for the handshake too: 300 ms, which a loaded machine under ASan still meets.
    const client = connect(transports.messagePort(channel.port2), { callTimeoutMs: 300 });
    const remote = await client.require('tools');
    await expect(remote.slow()).rejects.toMatchObject({ code: 'ERR_REMOTE_TIMEOUT' });
    const started = Date.now();
    while (!seen.some((m) => m.op === 'free' && m.e.some(([id, n]: number[]) => id === 7 && n === 1))) {
      if (Date.now() - started > 5_000) throw new Error('the late result was not given back');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(client.stats()).toMatchObject({ pendingCalls: 0, dropped: 1 });
    client.close();
    server.close();
  });
});
