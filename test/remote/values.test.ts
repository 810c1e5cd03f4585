/**
 * Value encoding, end to end over a real MessageChannel: what is copied, what goes by reference,
 * and that copies keep cycles and shared parts.
 */
import { RemoteServer, RemoteError } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';

class Thing {
  name = 'thing';
  greet(who: string): string {
    return `hi ${who}`;
  }
}

let pair: Pair;
const kept: unknown[] = [];
const tools = {
  echo: (value: unknown) => value,
  keep: (value: unknown) => {
    kept.push(value);
    return kept.length;
  },
  same: (a: unknown, b: unknown) => a === b,
  thing: new Thing(),
  makeThing: () => new Thing(),
  Thing,
  fail: () => {
    const cause = new RangeError('inner');
    const error = new TypeError('outer failure', { cause });
    (error as TypeError & { code: string }).code = 'E_OUTER';
    throw error;
  },
  failWith: (value: unknown) => {
    throw value;
  },
  later: (value: unknown) => Promise.resolve(value),
  laterFail: () => Promise.reject(new SyntaxError('async failure')),
  call: (fn: (...args: unknown[]) => Promise<unknown>, ...args: unknown[]) => fn(...args),
  // Uses an object the client exports: the server holds a proxy of it and reads it asynchronously.
  readClientObject: async (fn: () => Promise<{ label: Promise<string>; describe(x: number): Promise<string> }>) => {
    const obj = await fn();
    return `${await obj.label} / ${await obj.describe(3)}`;
  },
  callThreeWays: async (fn: (a: number, b: number) => Promise<number>) => [
    await fn.call(null, 1, 2),
    await fn.apply(null, [3, 4]),
    await fn.bind(null, 5)(6),
  ],
  catchClientError: async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      return 'no error';
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message} (${(error as Error).stack?.includes('[remote stack]')})`;
    }
  },
};

beforeEach(() => {
  kept.length = 0;
  pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
});

afterEach(() => pair.close());

async function echo(value: unknown): Promise<any> {
  const remote = await pair.remote.require('tools');
  return remote.echo(value);
}

describe('copied values', () => {
  test.each([
    ['a string', 'text'],
    ['an integer', 42],
    ['a float', 1.5],
    ['true', true],
    ['null', null],
  ])('%s round-trips', async (_name, value) => {
    expect(await echo(value)).toBe(value);
  });

  test('undefined, NaN, Infinity, -Infinity and -0 round-trip', async () => {
    const result = await echo([undefined, NaN, Infinity, -Infinity, -0]);
    expect(result).toHaveLength(5);
    expect(result[0]).toBeUndefined();
    expect(result[1]).toBeNaN();
    expect(result[2]).toBe(Infinity);
    expect(result[3]).toBe(-Infinity);
    expect(Object.is(result[4], -0)).toBe(true);
  });

  test('bigints keep their full value', async () => {
    expect(await echo(2n ** 100n + 1n)).toBe(2n ** 100n + 1n);
    expect(await echo(-7n)).toBe(-7n);
  });

  test('Date and RegExp', async () => {
    const date = await echo(new Date(1_700_000_000_123));
    expect(date).toBeInstanceOf(Date);
    expect(date.getTime()).toBe(1_700_000_000_123);
    expect(Number.isNaN((await echo(new Date(NaN))).getTime())).toBe(true);
    const re = await echo(/a+b/gi);
    expect(re).toBeInstanceOf(RegExp);
    expect(re.source).toBe('a+b');
    expect(re.flags).toBe('gi');
  });

  test('Map and Set, with object keys', async () => {
    const key = { k: 1 };
    const map = await echo(new Map<unknown, unknown>([[key, 'v'], ['s', new Set([1, 2])]]));
    expect(map).toBeInstanceOf(Map);
    const [[k, v], [s, set]] = [...map];
    expect(k).toEqual({ k: 1 });
    expect(v).toBe('v');
    expect(s).toBe('s');
    expect([...set]).toEqual([1, 2]);
  });

  test('ArrayBuffer, typed arrays, DataView and Buffer keep their bytes and kinds', async () => {
    const [ab, f64, u8, big, view, buf] = await echo([
      new Uint8Array([1, 2, 3]).buffer,
      new Float64Array([1.5, -2]),
      new Uint8Array([9, 8]).subarray(1),
      new BigInt64Array([-5n]),
      new DataView(new Uint8Array([7, 7]).buffer),
      Buffer.from('héllo'),
    ]);
    expect(ab).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(ab)]).toEqual([1, 2, 3]);
    expect(f64).toBeInstanceOf(Float64Array);
    expect([...f64]).toEqual([1.5, -2]);
    expect([...u8]).toEqual([8]);
    expect(big).toBeInstanceOf(BigInt64Array);
    expect(big[0]).toBe(-5n);
    expect(view).toBeInstanceOf(DataView);
    expect(view.getUint8(1)).toBe(7);
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect(buf.toString()).toBe('héllo');
  });

  test('plain objects, null-prototype objects and nested arrays are copies', async () => {
    const bare = Object.assign(Object.create(null), { x: 1 });
    const result = await echo({ a: [1, [2, { b: 'c' }]], bare });
    expect(result).toEqual({ a: [1, [2, { b: 'c' }]], bare: expect.anything() });
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(result.bare)).toBeNull();
    expect(result.bare.x).toBe(1);
  });

  test('cycles and shared parts are kept', async () => {
    const shared = { s: true };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const list: unknown[] = [shared];
    list.push(list);
    cyclic.list = list;
    const result = await echo(cyclic);
    expect(result.self).toBe(result);
    expect(result.again).toBe(result.shared);
    expect(result.list[0]).toBe(result.shared);
    expect(result.list[1]).toBe(result.list);
  });

  test('a symbol cannot be sent', async () => {
    const remote = await pair.remote.require('tools');
    await expect(remote.echo(Symbol('no'))).rejects.toThrow(/Cannot send a symbol/);
  });
});

describe('errors and promises', () => {
  test('an error crosses with name, message, cause, own properties and a marked remote stack', async () => {
    const remote = await pair.remote.require('tools');
    const error = await remote.fail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('outer failure');
    expect(error.code).toBe('E_OUTER');
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.cause.message).toBe('inner');
    expect(error.stack).toMatch(/^TypeError: outer failure\n {4}\[remote stack\]\n {4}at /);
    expect(error.stack).toMatch(/values\.test\.ts/);
  });

  test('custom error names survive; non-error throws arrive as thrown', async () => {
    const remote = await pair.remote.require('tools');
    class ValidationError extends Error {
      override name = 'ValidationError';
    }
    const custom = await remote.failWith(new ValidationError('bad')).catch((e: unknown) => e);
    expect(custom).toBeInstanceOf(Error);
    expect(custom.name).toBe('ValidationError');
    await expect(remote.failWith('just a string')).rejects.toBe('just a string');
  });

  test('a returned promise settles on the other side with its value', async () => {
    const remote = await pair.remote.require('tools');
    expect(await remote.later({ ok: 1 })).toEqual({ ok: 1 });
  });

  test('a rejected promise rejects on the other side with its error', async () => {
    const remote = await pair.remote.require('tools');
    const error = await remote.laterFail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
    expect(error.message).toBe('async failure');
  });

  test('a promise passed to the server settles there', async () => {
    const remote = await pair.remote.require('tools');
    expect(await remote.echo(Promise.resolve(7))).toBe(7);
  });
});

describe('references', () => {
  test('class instances go by reference and work as proxies', async () => {
    const remote = await pair.remote.require('tools');
    const thing = await remote.thing;
    expect(typeof thing).toBe('object');
    expect(await thing.name).toBe('thing');
    expect(await thing.greet('you')).toBe('hi you');
  });

  test('the same server object reaches the client as the same proxy', async () => {
    const remote = await pair.remote.require('tools');
    const a = await remote.thing;
    const b = await remote.thing;
    expect(a === b).toBe(true);
    expect((await pair.remote.require('tools')) === remote).toBe(true);
  });

  test('await proxy gives the proxy itself, not a member named then', async () => {
    const remote = await pair.remote.require('tools');
    const thing = await remote.thing;
    expect((await thing) === thing).toBe(true);
  });

  test('a proxy sent back arrives as the original object', async () => {
    const remote = await pair.remote.require('tools');
    const thing = await remote.thing;
    expect(await remote.same(thing, tools.thing)).toBe(false); // tools.thing is copied from here
    expect(await remote.echo(thing)).toBe(thing);
    await remote.keep(thing);
    expect(kept[0]).toBe(tools.thing);
  });

  test('new on a remote constructor returns a proxy of the new object', async () => {
    const remote = await pair.remote.require('tools');
    const made = await new remote.Thing();
    expect(await made.greet('x')).toBe('hi x');
  });

  test('a local function passed to the server becomes a callable proxy there returning a Promise', async () => {
    const remote = await pair.remote.require('tools');
    const local = (a: number, b: number) => a * b;
    expect(await remote.call(local, 6, 7)).toBe(42);
    await remote.keep(local);
    const onServer = kept[0] as (...args: unknown[]) => unknown;
    expect(typeof onServer).toBe('function');
    const result = onServer(2, 3);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(6);
    expect(await remote.echo(local)).toBe(local); // and it comes back as the original
  });

  test('the direction is symmetric: the server uses an object the client exports', async () => {
    const remote = await pair.remote.require('tools');
    class Local {
      label = 'local';
      describe(x: number): string {
        return `x=${x}`;
      }
    }
    expect(await remote.readClientObject(() => new Local())).toBe('local / x=3');
  });

  test('call, apply and bind work on callable proxies, locally', async () => {
    const remote = await pair.remote.require('tools');
    expect(await remote.callThreeWays((a: number, b: number) => a + b)).toEqual([3, 7, 11]);
    const echoFn = await remote.echo;
    expect(await echoFn.call(null, 'via call')).toBe('via call');
    expect(await echoFn.apply(null, ['via apply'])).toBe('via apply');
  });

  test('an error thrown by a client callback rejects on the server with a marked stack', async () => {
    const remote = await pair.remote.require('tools');
    const result = await remote.catchClientError(() => {
      throw new RangeError('from the client');
    });
    expect(result).toBe('RangeError: from the client (true)');
  });

  test('remote.set writes a member of a server that allows writes, and gives the outcome', async () => {
    pair.close();
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools }, allowWrites: true }));
    const remote = await pair.remote.require('tools');
    const thing = await remote.makeThing();
    await pair.remote.set(thing, 'name', 'renamed');
    expect(await thing.name).toBe('renamed');
  });

  test('plain assignment in async mode is sent, before every later operation of the session', async () => {
    pair.close();
    pair = asyncPair(new RemoteServer({ modules: { tools: () => tools }, allowWrites: true }));
    const remote = await pair.remote.require('tools');
    const thing = await remote.makeThing();
    thing.name = 'assigned';
    expect(await thing.name).toBe('assigned');
  });

  test('protocol errors are RemoteErrors with a code', async () => {
    const error = await pair.remote.require('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.code).toBe('ERR_REMOTE_DENIED');
    expect(error.message).toMatch(/Module "nope" is not served/);
  });
});
