/**
 * Jest set-up for every test file (jest.config.js `setupFilesAfterEnv`): after the file's last
 * test, checks that FinalizationRegistry callbacks are still delivered in this process. Jest runs
 * the files one after another in one process on a 2-core machine, so a stall (the engine no
 * longer running cleanup tasks, seen once in CI) would otherwise surface as failures in whichever
 * later file first relies on a callback; this names the first file after which it was seen.
 */
import { probeFinalizers } from '../src/ts/testing/finalizer_probe';

afterAll(async () => {
  if ((await probeFinalizers()) === 'stalled') {
    throw new Error(
      'FinalizationRegistry callbacks stopped being delivered in this process during or before ' +
        'this test file: a fresh object was collected but its callback never ran.',
    );
  }
});
