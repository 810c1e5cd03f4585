/**
 * Back-references inside one message resolve to the same objects on both sides, whatever the
 * message shape: random graphs with shared parts and cycles go through a call with `this` (both
 * directions), `new`, `set`, a result, an error, a fulfilled and a rejected settle, and come back
 * with the same shape. Before the fix, a call whose `this` and arguments shared parts arrived
 * with `this.data === this` or failed with "bad back-reference".
 */
import fc from 'fast-check';
import { release, RemoteServer } from '../../src/ts/remote';
import { graphs, sameShape } from './graph';
import { asyncPair, type Pair } from './pair';

class Box {
  value: unknown;
}

const tools = {
  echo: (...args: unknown[]) => args,
  echoThis(this: unknown, ...args: unknown[]) {
    return [this, ...args];
  },
  Echo: function Echo(...args: unknown[]) {
    return { args };
  } as unknown as new (...args: unknown[]) => { args: unknown[] },
  box: new Box(),
  callBack: (cb: (...args: unknown[]) => unknown, self: unknown, ...args: unknown[]) => cb.call(self, ...args),
  throwWith(...args: unknown[]): never {
    throw Object.assign(new Error('carrying'), { values: args });
  },
  later: (...args: unknown[]) => Promise.resolve(args),
  laterFail: (...args: unknown[]) => Promise.reject(Object.assign(new Error('carrying'), { values: args })),
};

let pair: Pair;
let remote: any;
beforeAll(async () => {
  pair = asyncPair(new RemoteServer({ modules: { tools: () => tools }, allowWrites: true }));
  remote = await pair.remote.require('tools');
});
afterAll(() => pair.close());

const runs = { numRuns: 60 };

test('a call: arguments sharing parts', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, async (values) => sameShape(values, await remote.echo(...values))),
    runs,
  );
});

test('a call with `this` from client to server: `this` and arguments sharing parts', async () => {
  const echoThis = await remote.echoThis;
  await fc.assert(
    fc.asyncProperty(graphs, async ([self, ...args]) => sameShape([self, ...args], await echoThis.call(self, ...args))),
    runs,
  );
});

test('a call with `this` from server to client: `this` and arguments sharing parts', async () => {
  const cb = function (this: unknown, ...args: unknown[]) {
    return [this, ...args];
  };
  await fc.assert(
    fc.asyncProperty(graphs, async ([self, ...args]) => {
      // The server receives copies, calls us with them, and returns what we answered.
      const back = await remote.callBack(cb, self, ...args);
      return sameShape([self, ...args], back);
    }),
    runs,
  );
});

test('new: arguments sharing parts', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, async (values) => sameShape(values, (await new remote.Echo(...values)).args)),
    runs,
  );
});

test('set, then a read: a value sharing parts', async () => {
  const box = await remote.box;
  await fc.assert(
    fc.asyncProperty(graphs, async (values) => {
      await pair.remote.set(box, 'value', values);
      return sameShape(values, await box.value);
    }),
    runs,
  );
});

test('an error answer: own properties sharing parts', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, async (values) => {
      const error = await remote.throwWith(...values).catch((e: { values: unknown }) => e);
      return sameShape(values, error.values);
    }),
    runs,
  );
});

test('a settle: a fulfilled value sharing parts', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, async (values) => sameShape(values, await remote.later(...values))),
    runs,
  );
});

test('a settle: a rejection carrying values that share parts', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, async (values) => {
      const error = await remote.laterFail(...values).catch((e: { values: unknown }) => e);
      return sameShape(values, error.values);
    }),
    runs,
  );
});

test('FREE: any number of receipts of an object, then release, returns the registry to baseline', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 30 }), async (receipts) => {
      // A session of its own: nothing of the other properties can be freed in the middle.
      const own = asyncPair(new RemoteServer({ modules: { tools: () => ({ box: new Box(), ping: () => 'pong' }) } }));
      try {
        const tools = await own.remote.require('tools');
        const before = own.session.stats();
        let box: object | undefined;
        for (let i = 0; i < receipts; i++) box = await tools.box;
        expect(own.session.stats().references).toBe(before.references + receipts);
        release(box as object);
        await new Promise((resolve) => setImmediate(resolve));
        await tools.ping(); // ordered after the FREE
        const after = own.session.stats();
        return after.objects === before.objects && after.references === before.references;
      } finally {
        own.close();
      }
    }),
    runs,
  );
});
