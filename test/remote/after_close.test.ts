/**
 * After a session closes (either side), every use of an async proxy returns a rejected promise
 * and never throws synchronously; a released proxy behaves the same with ERR_REMOTE_RELEASED.
 */
import fc from 'fast-check';
import { inspect } from 'node:util';
import { release, RemoteServer } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';

class Widget {
  hello(): string {
    return 'hello';
  }
}

const tools = { widget: new Widget(), fn: () => 1, Ctor: Widget, ping: () => 'pong' };

type Use = (p: { remote: any; widget: any; fn: any; pair: Pair }) => unknown;

/** Everything application code may do with an async proxy, and what it returns. */
const uses: Array<[string, Use]> = [
  ['a method call', ({ widget }) => widget.hello()],
  ['a member read', ({ widget }) => widget.hello],
  ['a nested member read', ({ remote }) => remote.widget],
  ['new on a member', ({ remote }) => new remote.Ctor()],
  ['a call of a callable proxy', ({ fn }) => fn()],
  ['new on a callable proxy', ({ fn }) => new fn()],
  ['fn.call / fn.apply', ({ fn }) => fn.call(undefined, 1)],
  ['passing a proxy as an argument', ({ remote, widget }) => remote.fn(widget)],
  ['remote.require', ({ pair }) => pair.remote.require('tools')],
  ['remote.getGlobal', ({ pair }) => pair.remote.getGlobal('x')],
  ['remote.set', ({ pair, widget }) => pair.remote.set(widget, 'k', 1)],
];

/** Runs `use`; it must not throw, and must give a promise that rejects with `code`. */
async function rejectsWith(use: Use, context: Parameters<Use>[0], code: string): Promise<boolean> {
  let result: unknown;
  try {
    result = use(context);
  } catch {
    return false;
  }
  try {
    await result;
  } catch (error) {
    return (error as { code?: unknown }).code === code;
  }
  return false;
}

async function setUp(): Promise<{ remote: any; widget: any; fn: any; pair: Pair }> {
  const pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
  const remote = await pair.remote.require('tools');
  return { pair, remote, widget: await remote.widget, fn: await remote.fn };
}

describe.each([
  ['the client closed', (pair: Pair) => pair.remote.close()],
  ['the server closed', (pair: Pair) => pair.session.close()],
])('after %s', (_who, close) => {
  test.each(uses)('%s rejects with ERR_REMOTE_CLOSED and never throws', async (_what, use) => {
    const context = await setUp();
    close(context.pair);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await rejectsWith(use, context, 'ERR_REMOTE_CLOSED')).toBe(true);
    context.pair.close();
  });

  test('assignment does not throw, and release() says false', async () => {
    const context = await setUp();
    close(context.pair);
    await new Promise((resolve) => setImmediate(resolve));
    context.pair.remote.on('error', () => {});
    expect(() => {
      context.widget.name = 'x';
    }).not.toThrow();
    expect(release(context.widget)).toBe(false);
    context.pair.close();
  });

  test('printing a proxy still works, locally', async () => {
    const context = await setUp();
    close(context.pair);
    expect(String(context.widget)).toBe('[remote object #2]');
    expect(inspect(context.widget)).toBe('[remote object #2]');
    expect(String(context.widget.hello)).toBe('[remote member hello of #2]');
    expect(JSON.stringify({ w: context.widget })).toBe('{"w":"[remote object #2]"}');
    context.pair.close();
  });

  test('any sequence of uses never throws synchronously', async () => {
    const context = await setUp();
    close(context.pair);
    context.pair.remote.on('error', () => {});
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...uses.map(([, use]) => use)), { maxLength: 12 }), async (sequence) => {
        for (const use of sequence) {
          if (!(await rejectsWith(use, context, 'ERR_REMOTE_CLOSED'))) return false;
        }
        return true;
      }),
      { numRuns: 50 },
    );
    context.pair.close();
  });
});

describe('after release(proxy)', () => {
  test.each(uses.slice(0, 3))('%s of the released proxy rejects with ERR_REMOTE_RELEASED', async (_what, use) => {
    const context = await setUp();
    release(context.widget);
    // `remote` is the released proxy here too, so every use below goes through it.
    expect(await rejectsWith(use, { ...context, remote: context.widget }, 'ERR_REMOTE_RELEASED')).toBe(true);
    context.pair.close();
  });
});
