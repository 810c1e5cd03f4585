/**
 * Nothing crosses by reference unless the application passed it: a call's `this` travels only
 * when it is the receiver's own object coming home or copyable data, and errors (thrown values,
 * rejections, their causes and own properties) always travel as data.
 */
import { EventEmitter } from 'node:events';
import { RemoteServer } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';

class Secret {
  readonly mainModule = { require: () => 'escaped' };
}

const emitter = new EventEmitter();
const tools = {
  listen(event: string, listener: (...args: unknown[]) => void): void {
    emitter.on(event, listener);
  },
  emit(event: string): void {
    emitter.emit(event, 'payload');
  },
  timer(cb: () => void): void {
    setTimeout(cb, 0);
  },
  callWith(cb: (...args: unknown[]) => unknown, self: unknown): unknown {
    return cb.call(self);
  },
  whoIsThis(this: unknown): unknown {
    return this === undefined ? 'undefined' : this;
  },
  throwWithSocket(): never {
    throw Object.assign(new Error('with props'), { code: 'E_X', detail: { n: 1 }, socket: new Secret() });
  },
  throwCaused(): never {
    throw new Error('caused', { cause: new Secret() });
  },
  throwInstance(): never {
    throw new Secret();
  },
  rejectWith(value: unknown): Promise<never> {
    return Promise.reject(value);
  },
  rejectSecret(): Promise<never> {
    return Promise.reject(new Secret());
  },
  get secretGetter(): Secret {
    return new Secret();
  },
};

let pair: Pair;
beforeEach(() => {
  emitter.removeAllListeners();
  pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
});
afterEach(() => pair.close());

/** A client callback that reports what it got as `this`. */
function thisProbe(): { probe: (this: unknown) => void; seen: Promise<unknown> } {
  let report!: (value: unknown) => void;
  const seen = new Promise<unknown>((resolve) => (report = resolve));
  return {
    probe(this: unknown) {
      report(this);
    },
    seen,
  };
}

describe("a call's `this`", () => {
  test('an EventEmitter listener registered by the client gets undefined, not the emitter', async () => {
    const remote = await pair.remote.require('tools');
    const { probe, seen } = thisProbe();
    await remote.listen('event', probe);
    await remote.emit('event');
    expect(await seen).toBeUndefined();
  });

  test('a timer callback gets undefined, not its Timeout', async () => {
    const remote = await pair.remote.require('tools');
    const { probe, seen } = thisProbe();
    await remote.timer(probe);
    expect(await seen).toBeUndefined();
  });

  test('a server object as `this` stays on the server: the escape through it is closed', async () => {
    const remote = await pair.remote.require('tools');
    const escaped = await remote.callWith(function (this: Secret | undefined) {
      return this?.mainModule === undefined ? 'closed' : 'escaped';
    }, await remote.secretGetter);
    expect(escaped).toBe('closed');
  });

  test('copyable data as `this` arrives as a copy', async () => {
    const remote = await pair.remote.require('tools');
    const { probe, seen } = thisProbe();
    await remote.callWith(probe, { name: 'plain', list: [1, 2] });
    expect(await seen).toEqual({ name: 'plain', list: [1, 2] });
  });

  test("the receiver's own object coming home arrives as that very object", async () => {
    const remote = await pair.remote.require('tools');
    const mine = new (class Mine {
      kind = 'a client object, sent by reference';
    })();
    let got: unknown;
    await remote.callWith(function (this: unknown) {
      got = this;
    }, mine);
    expect(got).toBe(mine);
  });

  test('a client calling a server function with a non-copyable `this` sends none', async () => {
    const remote = await pair.remote.require('tools');
    const whoIsThis = await remote.whoIsThis;
    expect(await whoIsThis.call(new Secret())).toBe('undefined');
    expect(await whoIsThis.call({ plain: true })).toEqual({ plain: true });
  });
});

describe('errors travel as data', () => {
  test("an error's own properties cross when copyable; a property holding a server object is left out", async () => {
    const remote = await pair.remote.require('tools');
    const error = await remote.throwWithSocket().catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'with props', code: 'E_X', detail: { n: 1 } });
    expect(Object.hasOwn(error as object, 'socket')).toBe(false);
  });

  test("an error's cause that is a server object is left out", async () => {
    const remote = await pair.remote.require('tools');
    const error = (await remote.throwCaused().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('caused');
    expect(Object.hasOwn(error, 'cause')).toBe(false);
  });

  test('a thrown server object becomes an Error that says what it was', async () => {
    const remote = await pair.remote.require('tools');
    await expect(remote.throwInstance()).rejects.toThrow(
      'The remote code threw an instance of Secret, which cannot be copied',
    );
  });

  test('a promise rejected with data rejects with a copy', async () => {
    const remote = await pair.remote.require('tools');
    await expect(remote.rejectWith({ n: 1 })).rejects.toEqual({ n: 1 });
  });

  test('a promise rejected with a server object rejects with an Error that says what it was', async () => {
    const remote = await pair.remote.require('tools');
    await expect(remote.rejectSecret()).rejects.toThrow(
      'The remote code threw an instance of Secret, which cannot be copied',
    );
  });
});

describe('getters', () => {
  test("a getter runs on the server, and its result crosses as a result: the application's choice", async () => {
    const remote = await pair.remote.require('tools');
    const secret = await remote.secretGetter;
    expect(String(secret)).toMatch(/^\[remote object #\d+\]$/);
  });
});
