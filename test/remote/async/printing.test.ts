/**
 * `util.inspect` and `console.log` of a proxy show `[remote object #id]`, and of a member
 * reference its path, never `{}` (which looks like lost data), and never send a request.
 */
import { inspect } from 'node:util';
import { RemoteServer } from '../../../src/ts/remote';
import { asyncPair, type Pair } from '../pair';

let pair: Pair;
beforeEach(() => {
  pair = asyncPair(new RemoteServer({ modules: { api: () => ({ store: { get: () => 1 }, fn: () => 1 }) } }));
});
afterEach(() => pair.close());

test('a proxy prints as [remote object #id], a callable one as [remote function #id]', async () => {
  const api = await pair.remote.require('api');
  expect(inspect(api)).toBe('[remote object #1]');
  expect(inspect(await api.fn)).toMatch(/^\[remote function #\d+\]$/);
  expect(inspect({ nested: api })).toBe('{ nested: [remote object #1] }');
});

test('a member reference prints its path', async () => {
  const api = await pair.remote.require('api');
  expect(inspect(api.store.get)).toBe('[remote member store.get of #1]');
  expect(String(api.store)).toBe('[remote member store of #1]');
});

test('console.log of a proxy prints its label', async () => {
  const api = await pair.remote.require('api');
  const log = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    // The console of Node writes util.inspect's text.
    const { Console } = await import('node:console');
    new Console(process.stdout).log(api);
    expect(log.mock.calls.map(([text]) => String(text)).join('')).toBe('[remote object #1]\n');
  } finally {
    log.mockRestore();
  }
});
