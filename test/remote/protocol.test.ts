/**
 * The wire protocol seen from a hand-driven peer: handshake, versioning, validation of what
 * arrives, and the security rules for what a peer may reach.
 */
import { MessageChannel } from 'node:worker_threads';
import { connect, PROTOCOL_NAME, PROTOCOL_VERSION, RemoteServer, transports } from '../../src/ts/remote';
import { asyncPair } from './pair';
import { rawPeer, type RawPeer } from './raw_peer';

class Thing {
  name = 'thing';
  hello(): string {
    return 'hello';
  }
}

function makeServer(options: { allowPrototypeAccess?: boolean; allowWrites?: boolean } = {}) {
  const tools = { thing: new Thing(), echo: (v: unknown) => v, fn: () => 1 };
  return new RemoteServer({ modules: { tools: () => tools, os: () => require('os') }, globals: { answer: 42 }, ...options });
}

let peer: RawPeer | undefined;
afterEach(() => peer?.close());

describe('handshake and versioning', () => {
  test('the server answers HELLO with its protocol version', async () => {
    peer = rawPeer(makeServer());
    const answer = await peer.hello();
    expect(answer).toEqual({ op: 'result', seq: answer.seq, value: PROTOCOL_VERSION });
  });

  test('a peer with another protocol version is refused with a clear error, then disconnected', async () => {
    peer = rawPeer(makeServer());
    const answer = await peer.ask({ op: 'hello', protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION + 1 });
    expect(answer.op).toBe('error');
    expect(answer.error.message).toBe(
      `Protocol version mismatch: the peer speaks "weakwire-remote" version ${PROTOCOL_VERSION + 1}, ` +
        `this side speaks "weakwire-remote" version ${PROTOCOL_VERSION}`,
    );
    await peer.closed;
    expect(peer.session.closed).toBe(true);
  });

  test('a client whose server answers another version fails with a clear error', async () => {
    const channel = new MessageChannel();
    channel.port1.on('message', (m) => channel.port1.postMessage({ op: 'result', seq: m.seq, value: 99 }));
    const remote = connect(transports.messagePort(channel.port2));
    await expect(remote.ready).rejects.toThrow(/Protocol version mismatch: the server speaks version 99/);
    await expect(remote.require('os')).rejects.toThrow(/Remote session closed/);
    channel.port1.close();
  });

  test('requests before HELLO are refused', async () => {
    peer = rawPeer(makeServer());
    const answer = await peer.ask({ op: 'require', name: 'os' });
    expect(answer.op).toBe('error');
    expect(answer.error.message).toMatch(/Handshake required/);
  });

  test('sync mode needs a transport that can answer synchronously', () => {
    const channel = new MessageChannel();
    expect(() => connect(transports.messagePort(channel.port1), { sync: true })).toThrow(
      /options\.sync needs a transport with requestSync/,
    );
    channel.port1.close();
  });
});

describe('validation of incoming messages', () => {
  async function ready(): Promise<{ peer: RawPeer; tools: number }> {
    const p = rawPeer(makeServer());
    peer = p;
    await p.hello();
    const answer = await p.ask({ op: 'require', name: 'tools' });
    return { peer: p, tools: answer.value.id };
  }

  test.each([
    ['an unknown operation', { op: 'explode' }, /Unknown operation/],
    ['a missing target', { op: 'get', path: ['x'] }, /Malformed get message: it must name either target or on/],
    ['a huge id', { op: 'get', target: 2 ** 53, path: ['x'] }, /target must be a positive safe integer/],
    ['a negative id', { op: 'get', target: -1, path: ['x'] }, /target must be a positive safe integer/],
    ['an unknown id', { op: 'get', target: 987654, path: ['x'] }, /Unknown or freed object id 987654/],
    ['a non-string key', { op: 'get', target: 1, path: [5] }, /path must be an array of member names/],
    ['args that are not an array', { op: 'call', target: 1, path: ['echo'], args: 'x' }, /args must be an array/],
    ['an unknown value tag', { op: 'call', target: 1, path: ['echo'], args: [{ $: 'weird' }] }, /unknown tag/],
    ['a bad back-reference', { op: 'call', target: 1, path: ['echo'], args: [{ $: 'dup', n: 3 }] }, /bad back-reference/],
    ['an expect that is not an id', { op: 'call', target: 1, path: ['echo'], args: [], expect: 'x' }, /expect must be a positive safe integer/],
  ])('%s gets an error answer', async (_what, message, pattern) => {
    const { peer: p } = await ready();
    const answer = await p.ask(message);
    expect(answer.op).toBe('error');
    expect(answer.error.message).toMatch(pattern);
  });

  test('a keyed call that expects another function calls nothing and answers stale', async () => {
    const { peer: p, tools } = await ready();
    const answer = await p.ask({ op: 'call', target: tools, path: ['echo'], args: [1], expect: tools });
    expect(answer).toEqual({ op: 'result', seq: expect.any(Number), stale: true });
  });

  test('a __proto__ key in copied data becomes an own data property and pollutes nothing', async () => {
    const { peer: p, tools } = await ready();
    const polluting = { $: 'object', e: [['__proto__', { $: 'object', e: [['polluted', true]] }]] };
    const answer = await p.ask({ op: 'call', target: tools, path: ['echo'], args: [polluting] });
    // Echoed back with the key as data: the key was data on the server, not a prototype change.
    // The object holding it goes tagged (an own "__proto__" key), the plain value under it in a
    // clone record.
    expect(answer).toEqual({
      op: 'result',
      seq: expect.any(Number),
      value: { $: 'object', e: [['__proto__', { $: 'clone', v: { polluted: true } }]] },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a FREE of an unknown id, or of more than was sent, changes nothing', async () => {
    const { peer: p, tools } = await ready();
    const server = p.session;
    p.post({ op: 'free', e: [[tools, 2], [424242, 1], 'junk'] });
    const answer = await p.ask({ op: 'get', target: tools, path: ['thing'] });
    expect(answer.op).toBe('result');
    expect(server.stats().objects).toBe(2);
  });

  test('counting rule: a FREE for the receipts seen so far leaves a reference in flight alive', async () => {
    const { peer: p, tools } = await ready();
    const first = await p.ask({ op: 'get', target: tools, path: ['thing'] });
    const thing = first.value.id;
    // The proxy from the first receipt dies; meanwhile the server sends the same object again.
    const second = await p.ask({ op: 'get', target: tools, path: ['thing'] });
    expect(second.value.id).toBe(thing);
    p.post({ op: 'free', e: [[thing, 1]] }); // the late FREE covers the first receipt only
    const use = await p.ask({ op: 'call', target: thing, path: ['hello'], args: [] });
    expect(use).toMatchObject({ op: 'result', value: 'hello' });
    p.post({ op: 'free', e: [[thing, 1]] }); // the second proxy dies too
    const gone = await p.ask({ op: 'call', target: thing, path: ['hello'], args: [] });
    expect(gone.error.message).toMatch(`Unknown or freed object id ${thing}`);
  });

  test('a FREE for the full count drops the object; it is then unknown', async () => {
    const { peer: p, tools } = await ready();
    p.post({ op: 'free', e: [[tools, 1]] });
    const answer = await p.ask({ op: 'get', target: tools, path: ['thing'] });
    expect(answer.error.message).toMatch(/Unknown or freed object id/);
  });
});

describe('security: default deny', () => {
  test.each(['fs', 'child_process', '__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'require(%j) is refused when not served',
    async (name) => {
      const pair = asyncPair(makeServer());
      await expect(pair.remote.require(name)).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
      pair.close();
    },
  );

  test('getGlobal serves only what was listed', async () => {
    const pair = asyncPair(makeServer());
    expect(await pair.remote.getGlobal('answer')).toBe(42);
    await expect(pair.remote.getGlobal('process')).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    await expect(pair.remote.getGlobal('constructor')).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    pair.close();
  });

  test.each([
    ['constructor', (t: any) => t.constructor],
    ['__proto__', (t: any) => t.__proto__],
    ['prototype', (t: any) => t.prototype],
    ['isPrototypeOf (from Object.prototype)', (t: any) => t.isPrototypeOf({})],
    ['__lookupGetter__', (t: any) => t.__lookupGetter__('x')],
    ['hasOwnProperty', (t: any) => t.hasOwnProperty('thing')],
    ["a function's constructor", async (t: any) => await (await t.fn).constructor],
    ["a served object's __defineSetter__ (from Object.prototype)", async (t: any) => await (await t.thing).__defineSetter__],
    ["a function's hasOwnProperty (from Object.prototype)", async (t: any) => await (await t.fn).hasOwnProperty],
  ])('member %s is refused', async (_what, attempt) => {
    const pair = asyncPair(makeServer());
    const tools = await pair.remote.require('tools');
    await expect(attempt(tools)).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    pair.close();
  });

  test("the escape proxy.constructor.constructor('return process')() fails", async () => {
    const pair = asyncPair(makeServer());
    const tools = await pair.remote.require('tools');
    const escape = async () => {
      const ctor = await tools.constructor;
      const fn = await ctor.constructor;
      return fn('return process')();
    };
    await expect(escape()).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    const thing = await tools.thing;
    await expect((async () => (await thing.constructor).constructor)()).rejects.toMatchObject({
      code: 'ERR_REMOTE_DENIED',
    });
    pair.close();
  });

  test('writing __proto__ or constructor is refused, even where writes are allowed', async () => {
    const pair = asyncPair(makeServer({ allowWrites: true }));
    const tools = await pair.remote.require('tools');
    const thing = await tools.thing;
    await expect(pair.remote.set(thing, '__proto__', {})).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    await expect(pair.remote.set(thing, 'constructor', 1)).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    expect(await thing.hello()).toBe('hello'); // still a Thing
    pair.close();
  });

  test('methods of the served classes stay reachable', async () => {
    const pair = asyncPair(makeServer());
    const tools = await pair.remote.require('tools');
    const thing = await tools.thing;
    expect(await thing.hello()).toBe('hello');
    pair.close();
  });

  test('objects from another realm (a vm context) get the same protection', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const foreign = require('node:vm').runInNewContext('({ own: 1, fn() { return 2; } })');
    const server = new RemoteServer({ modules: { foreign: () => foreign } });
    const pair = asyncPair(server);
    const proxy = await pair.remote.require('foreign');
    expect(await proxy.own).toBe(1);
    await expect(proxy.isPrototypeOf({})).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    await expect(proxy.__defineGetter__('x', () => 1)).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
    await expect((async () => (await proxy.fn).hasOwnProperty('x'))()).rejects.toMatchObject({
      code: 'ERR_REMOTE_DENIED',
    });
    pair.close();
  });

  test('allowPrototypeAccess opts in to prototype members', async () => {
    const pair = asyncPair(makeServer({ allowPrototypeAccess: true }));
    const tools = await pair.remote.require('tools');
    const thing = await tools.thing;
    const ctor = await thing.constructor;
    expect(typeof ctor).toBe('function');
    expect(await ctor.name).toBe('Thing');
    pair.close();
  });
});
