/**
 * Remote calls that create proxies, pass callbacks and settle promises, thousands of times: the
 * registries, the native weak records and the heap stay flat.
 */
import { RemoteServer } from '../../src/ts/remote';
import { expectNoLeak } from '../../src/ts/testing';
import { gcUntil } from '../../src/ts/testing';
import { asyncPair } from './pair';

class Thing {
  hello(): string {
    return 'hello';
  }
}

test('calls with proxies, callbacks and promises do not leak', async () => {
  const server = new RemoteServer({
    modules: {
      tools: () => ({
        make: () => new Thing(),
        callMe: (fn: (x: number) => Promise<number>) => fn(1),
        later: async (v: unknown) => v,
      }),
    },
  });
  const pair = asyncPair(server);
  const tools = await pair.remote.require('tools');
  try {
    await expectNoLeak(
      async () => {
        const thing = await tools.make();
        await thing.hello();
        await tools.callMe((x: number) => x + 1);
        await tools.later({ copied: [1, 2, 3] });
      },
      // A leaked proxy, record or registry entry costs several hundred bytes per call; 128 B/call
      // leaves room for the allocator noise of four round trips on a loaded machine.
      { iterations: 2000, warmup: 200, label: 'remote calls', statsTolerance: 50, heapBytesPerCall: 128 },
    );
    await gcUntil(() => server.stats().objects === 1 && pair.remote.stats().exportedObjects === 0, { attempts: 200 });
  } finally {
    pair.close();
  }
});
