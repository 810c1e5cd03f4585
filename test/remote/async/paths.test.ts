/**
 * Chains of member reads are one reference: `await proxy.a.b.c` is one round trip, and so are
 * `proxy.a.b.m(x)` and `new proxy.a.B(x)`. Every step of a path is checked by the access policy.
 */
import { RemoteServer } from '../../../src/ts/remote';
import { loggedPair, type LoggedPair } from './wire_log';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  sum(): number {
    return this.x + this.y;
  }
}

const api = {
  a: {
    b: {
      v: 'deep value',
      m(this: { v: string }, suffix: string) {
        return `${this.v}${suffix}`;
      },
      Point,
    },
  },
  list: [10, 20, 30],
  nothing: null,
};

let pair: LoggedPair;
beforeEach(async () => {
  pair = loggedPair(new RemoteServer({ modules: { api: () => api } }));
  await pair.remote.ready;
});
afterEach(() => pair.close());

test('await proxy.a.b.v reads the whole path in one round trip', async () => {
  const remote = await pair.remote.require('api');
  pair.wire.clear();
  expect(await remote.a.b.v).toBe('deep value');
  expect(pair.wire.roundTrips()).toBe(1);
  expect(pair.wire.events.filter((e) => e.dir === '>')).toEqual([expect.objectContaining({ op: 'get' })]);
});

test('proxy.a.b.m(x) calls the method with the object that holds it as this, in one round trip', async () => {
  const remote = await pair.remote.require('api');
  pair.wire.clear();
  expect(await remote.a.b.m('!')).toBe('deep value!');
  expect(pair.wire.roundTrips()).toBe(1);
});

test('new proxy.a.B(x) constructs in one round trip', async () => {
  const remote = await pair.remote.require('api');
  pair.wire.clear();
  const point = await new remote.a.b.Point(2, 3);
  expect(pair.wire.roundTrips()).toBe(1);
  expect(await point.sum()).toBe(5);
});

test('a path through copied data reads the member on the server', async () => {
  const remote = await pair.remote.require('api');
  expect(await remote.list.length).toBe(3);
  expect(await remote.list[1]).toBe(20);
});

test('a path through null fails with a TypeError that names the path', async () => {
  const remote = await pair.remote.require('api');
  await expect(remote.nothing.x.y).rejects.toThrow(/Cannot read member "x" of null \(nothing\)/);
});

test('every step of a path is checked: a prototype member in the middle is refused', async () => {
  const remote = await pair.remote.require('api');
  await expect(remote.a.constructor.name).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
  await expect(remote.a.b.__proto__.x).rejects.toMatchObject({ code: 'ERR_REMOTE_DENIED' });
});

test('a path longer than 32 members is refused', async () => {
  const remote = await pair.remote.require('api');
  let ref = remote;
  for (let i = 0; i < 33; i++) ref = ref[`k${i}`];
  await expect(ref).rejects.toMatchObject({ code: 'ERR_REMOTE_PROTOCOL' });
});

test('the same member read twice reads twice: a reference does not cache the value', async () => {
  const state = { n: 1 };
  const own = loggedPair(new RemoteServer({ modules: { state: () => state } }));
  try {
    const remote = await own.remote.require('state');
    expect(await remote.n).toBe(1);
    state.n = 2;
    expect(await remote.n).toBe(2);
  } finally {
    own.close();
  }
});

test('member references support bind, call and apply locally', async () => {
  const remote = await pair.remote.require('api');
  const bound = remote.a.b.m.bind(undefined, '?');
  expect(await bound()).toBe('deep value?');
  expect(await remote.a.b.m.call(undefined, '.')).toBe('deep value.');
  expect(await remote.a.b.m.apply(undefined, [','])).toBe('deep value,');
});

test('proxy.a.b = v assigns through the path, before every later operation of the session', async () => {
  const settings = { level: { value: 1 } };
  const own = loggedPair(new RemoteServer({ modules: { settings: () => settings }, allowWrites: true }));
  try {
    const remote = await own.remote.require('settings');
    remote.level.value = 2;
    expect(await remote.level.value).toBe(2);
    expect(settings.level.value).toBe(2);
  } finally {
    own.close();
  }
});
