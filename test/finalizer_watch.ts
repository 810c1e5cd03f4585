/**
 * Jest set-up for every test file (jest.config.js `setupFilesAfterEnv`): checks that
 * FinalizationRegistry callbacks are still delivered in this process when the file ends. Jest runs
 * the files one after another in one process on a 2-core machine, so a stall (the engine no
 * longer running cleanup tasks, seen once in CI) would otherwise surface as failures in whichever
 * later file first relies on a callback; this fails the file during which it was seen.
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
