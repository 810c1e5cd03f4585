/**
 * 10,000+ random malformed messages at a live session: afterwards the server still answers,
 * its registry is unchanged and nothing was polluted.
 */
import { RemoteServer } from '../../src/ts/remote';
import { asyncPair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';

/** A small seeded PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x5eed;
const COUNT = 12_000;

class Thing {
  hello(): string {
    return 'hello';
  }
}

function generator(random: () => number, tools: number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const int = (n: number) => Math.floor(random() * n);
  const badIds = [0, -1, 1.5, 2 ** 53, 2 ** 60, 1e300, NaN, Infinity, '1', null, undefined, {}, [], true, tools + 1 + int(1000)];
  const badKeys = [undefined, null, 5, {}, [], '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'nope', true];
  const junk = (): unknown =>
    pick<() => unknown>([
      () => int(1e9),
      () => random().toString(36),
      () => null,
      () => undefined,
      () => [junk(), junk()],
      () => ({ [random().toString(36).slice(2, 6)]: junk() }),
      () => NaN,
      () => -int(100),
      () => true,
    ])();
  const badValue = (): unknown =>
    pick<() => unknown>([
      () => ({ $: pick(['weird', 'ref', 'yours', 'promise', 'dup', 'bigint', 'typed', 'regexp', 'num', 'date', 'map']) }),
      () => ({ $: 'yours', id: pick(badIds) }),
      () => ({ $: 'dup', n: int(50) + 1 }),
      () => ({ $: 'bigint', v: pick(['12x', '', '1e5', 5]) }),
      () => ({ $: 'typed', t: pick(['Nope', 'Float64Array', '__proto__']), b: 'AAE=' }),
      () => ({ $: 'regexp', source: '(', flags: 'g' }),
      () => ({ $: 'regexp', source: 'a', flags: 'zz' }),
      () => ({ $: 'object', e: [['__proto__', { $: 'object', e: [['polluted', true]] }]] }),
      () => ({ $: 'object', e: 'nope' }),
      () => ({ $: 'object', e: [[1, 2, 3]] }),
      () => ({ $: 'map', e: [[1]] }),
      () => ({ $: 'array', v: [{ $: 'promise', id: 1 + int(1e6) }, { $: 'weird' }] }),
      () => ({ $: 'num', v: 'eleven' }),
      () => ({ $: 'error', props: [['__proto__', 1]] }),
      () => [1, 2],
      () => {
        let deep: unknown = { $: 'weird' };
        for (let i = 0; i < 3000; i++) deep = { $: 'array', v: [deep] };
        return deep;
      },
    ])();
  const seq = () => (random() < 0.8 ? 1 + int(1e6) : pick(badIds));
  return (): unknown =>
    pick<() => unknown>([
      () => junk(),
      () => ({ op: random().toString(36).slice(2, 8), seq: seq() }),
      () => ({ op: pick([5, null, {}, 'GET', 'Get', '']), seq: seq() }),
      () => ({ op: 'get', seq: seq(), target: pick(badIds), key: 'hello' }),
      () => ({ op: 'get', seq: seq(), target: tools, key: pick(badKeys) }),
      () => ({ op: 'set', seq: seq(), target: tools, key: pick(badKeys), value: badValue() }),
      () => ({ op: 'set', seq: seq(), target: pick(badIds), key: 'x', value: 1 }),
      () => ({ op: 'call', seq: seq(), target: tools, key: 'echo', args: [badValue()] }),
      () => ({ op: 'call', seq: seq(), target: tools, key: pick(badKeys), args: [] }),
      () => ({ op: 'call', seq: seq(), target: tools, args: [] }),
      () => ({ op: 'call', seq: seq(), target: tools, key: 'echo', args: pick([null, 'x', 5, {}]) }),
      () => ({ op: 'new', seq: seq(), target: pick([tools, ...badIds]), args: [badValue()] }),
      () => ({ op: 'require', seq: seq(), name: pick([5, null, 'fs', '__proto__', 'constructor', {}]) }),
      () => ({ op: 'global', seq: seq(), name: pick([5, null, 'process', '__proto__']) }),
      () => ({ op: 'hello', seq: seq(), protocol: 'weakwire-remote', version: 1 }),
      () => ({ op: 'free', e: pick([null, 'x', [[tools, 0]], [[tools, -1]], [[tools, 2]], [[tools, 1.5]], [['x', 1]], [[2 ** 60, 1]], [[tools + 5, 1]], [[tools]]]) }),
      () => ({ op: 'settle', id: pick([...badIds, 1, 2]), ok: pick([true, false, 'yes']), value: badValue() }),
      () => ({ op: pick(['result', 'error']), seq: seq(), value: badValue(), error: badValue() }),
    ])();
}

describe('fuzz', () => {
  let peer: RawPeer;
  const tools = { echo: (v: unknown) => v, thing: new Thing() };

  beforeEach(() => {
    peer = rawPeer(new RemoteServer({ modules: { tools: () => tools } }));
  });
  afterEach(() => peer.close());

  test(`${COUNT} random malformed messages: no crash, registry unchanged, server still works`, async () => {
    await peer.hello();
    const required = await peer.ask({ op: 'require', name: 'tools' });
    const toolsId: number = required.value.id;
    const before = peer.session.stats();
    expect(before.objects).toBe(1);

    const next = generator(prng(SEED), toolsId);
    let sent = 0;
    for (let i = 0; i < COUNT; i++) {
      let message = next();
      // A message that is malformed only in a deep part may still be valid at the top; never
      // send the few that would legitimately change state (freeing the one object we hold).
      if (message !== null && typeof message === 'object' && (message as { op?: unknown }).op === 'bye') continue;
      try {
        peer.post(message);
        sent++;
      } catch {
        // not cloneable (e.g. structured clone refuses): the transport would refuse it too
        message = undefined;
      }
    }
    expect(sent).toBeGreaterThanOrEqual(10_000);

    // Ordered channel: once this is answered, every fuzz message has been handled.
    const after = await peer.ask({ op: 'call', target: toolsId, key: 'echo', args: ['still alive'] });
    expect(after).toMatchObject({ op: 'result', value: 'still alive' });
    expect(peer.session.closed).toBe(false);
    expect(peer.session.stats().objects).toBe(before.objects);
    expect(peer.session.stats().references).toBe(before.references);
    expect(peer.session.stats().pendingPromises).toBe(0); // promises announced by malformed messages are forgotten
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(tools)).toBe(Object.prototype);
    expect(Object.keys(tools)).toEqual(['echo', 'thing']);
    // Every answer was an error, except our three requests, reads of the missing member "nope"
    // and echoes of objects with a __proto__ key (copied as an own data property).
    const results = peer.received.filter((m) => m?.op === 'result');
    const unexpected = results.filter((m) => m.seq < 1_000_000 && m.value?.$ !== 'undef' && m.value?.$ !== 'object');
    expect(unexpected).toEqual([]);
    expect(results.filter((m) => m.seq >= 1_000_000)).toHaveLength(3);
    expect(peer.received.filter((m) => m?.op === 'error').length).toBeGreaterThan(COUNT / 2);

    // A fresh, well-behaved client of the same process still works.
    const server = new RemoteServer({ modules: { tools: () => tools } });
    const pair = asyncPair(server);
    const proxy = await pair.remote.require('tools');
    expect(await (await proxy.thing).hello()).toBe('hello');
    pair.close();
  });
});
