/**
 * Jest set-up for every test file (jest.config.js `setupFilesAfterEnv`): after the file's tests,
 * checks that FinalizationRegistry callbacks are still delivered in this process. When Jest runs
 * the files one after another in one process (one worker, as on a 2-core machine), a stall (V8 on
 * Node 20-24 no longer running cleanup tasks; docs/leak-testing.md) would otherwise surface in
 * whichever later file first relies on a callback; this fails the file during which it was seen.
 *
 * This `afterAll` is registered before the file's own, and Jest runs a block's `afterAll` hooks in
 * the order they were registered: a stall that begins in the file's own `afterAll` is caught by
 * the next file. Once stalled, every later file fails here too.
 *
 * Cheap when all is well: a registration made as the file starts is usually collected and
 * reported by the collections the file's own tests run. Only when it was not does the check run
 * GC rounds of its own (src/ts/testing/finalizer_probe.ts).
 */
import { probeFinalizers } from '../src/ts/testing/finalizer_probe';

let delivered = false;
const registry = new FinalizationRegistry<number>(() => {
  delivered = true;
});

// Its own frame, so nothing keeps the object alive.
(function registerWitness(): void {
  registry.register({}, 0);
})();

afterAll(async () => {
  if (delivered) return;
  if ((await probeFinalizers()) === 'stalled') {
    throw new Error(
      'FinalizationRegistry callbacks stopped being delivered in this process, during this test ' +
        'file or the one before it: a fresh object was collected but its callback never ran.',
    );
  }
});
