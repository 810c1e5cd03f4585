/**
 * The remote layer captures the built-ins it uses when it loads: an application that replaces
 * `Promise`, `Map`, `Reflect` or `JSON` afterwards (a polyfill, a promise library) changes nothing.
 */
import { RemoteServer } from '../../../src/ts/remote';
import { asyncPair } from '../pair';

// The served code keeps its own Promise: only weakwire is under test.
const OwnPromise = Promise;
const tools = {
  later: (v: unknown) => new OwnPromise((resolve) => setTimeout(() => resolve(v), 1)),
  echo: (v: unknown) => v,
  Widget: class Widget {
    hello(): string {
      return 'hello';
    }
  },
};

const names = ['Promise', 'Map', 'Set', 'WeakMap', 'Reflect', 'JSON', 'Proxy'] as const;

test('calls, promises and copies work while Promise, Map, Set, WeakMap, Reflect, JSON and Proxy are replaced', async () => {
  const pair = asyncPair(new RemoteServer({ modules: { tools: () => tools } }));
  const remote = await pair.remote.require('tools');
  const saved = names.map((name) => [name, (globalThis as Record<string, unknown>)[name]] as const);
  const broken = (name: string) =>
    function Replaced() {
      throw new Error(`the replaced global ${name} was used`);
    };
  try {
    for (const name of names) (globalThis as Record<string, unknown>)[name] = broken(name);
    const results = [
      remote.later('promised'),
      remote.echo(new (saved[1][1] as MapConstructor)([[1, 'one']])),
      remote.echo({ nested: [1, 2, { deep: true }] }),
      new remote.Widget().hello(),
    ];
    // Awaiting uses the engine's own promise machinery, not the global binding.
    const settled = [];
    for (const result of results) settled.push(await result);
    expect(settled[0]).toBe('promised');
    expect([...(settled[1] as Map<number, string>)]).toEqual([[1, 'one']]);
    expect(settled[2]).toEqual({ nested: [1, 2, { deep: true }] });
    expect(settled[3]).toBe('hello');
  } finally {
    for (const [name, value] of saved) (globalThis as Record<string, unknown>)[name] = value;
    pair.close();
  }
});
