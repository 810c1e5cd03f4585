/**
 * Code holding a proxy sees no state through reflection: an object proxy shows an empty object,
 * a callable one its function's own keys. No key, descriptor or prototype leads to the proxy's
 * session or record, so nothing can be read or replayed through them.
 */
import { RemoteServer } from '../../src/ts/remote';
import { asyncPair, type Pair } from './pair';

class Item {}

let pair: Pair;
beforeEach(() => {
  pair = asyncPair(new RemoteServer({ modules: { tools: () => ({ item: new Item(), fn: () => 1 }) } }));
});
afterEach(() => pair.close());

/** Every value reachable from `value` through own keys and prototypes (not through getters). */
function reflected(value: object): unknown[] {
  const found: unknown[] = [];
  for (let at: object | null = value, depth = 0; at !== null && depth < 4; at = Reflect.getPrototypeOf(at), depth++) {
    for (const key of Reflect.ownKeys(at)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(at, key);
      if (descriptor !== undefined && 'value' in descriptor) found.push(descriptor.value);
    }
  }
  return found;
}

test('an object proxy has no own keys, and reflection on it reaches no proxy state', async () => {
  const tools = await pair.remote.require('tools');
  const item = await tools.item;
  expect(Reflect.ownKeys(item)).toEqual([]);
  expect(Object.getOwnPropertySymbols(item)).toEqual([]);
  const reachable = reflected(item);
  expect(reachable.filter((v) => typeof v === 'object' && v !== null && 'record' in v)).toEqual([]);
  expect(Object.getPrototypeOf(Object.getPrototypeOf(item))).toBe(Object.prototype);
});

test("a callable proxy shows its function's own keys only", async () => {
  const tools = await pair.remote.require('tools');
  const fn = await tools.fn;
  expect(Reflect.ownKeys(fn).sort()).toEqual(['length', 'name', 'prototype']);
  const reachable = reflected(fn);
  expect(reachable.filter((v) => typeof v === 'object' && v !== null && 'record' in v)).toEqual([]);
  expect(await fn()).toBe(1);
});

test("'in' sees what an empty object inherits, not the proxy's state", async () => {
  const tools = await pair.remote.require('tools');
  const item = await tools.item;
  expect('toString' in item).toBe(true);
  for (const key of ['host', 'record', 'keepAlive', 'perform', 'label', 'methods', 'children']) expect(key in item).toBe(false);
});
