// Fuzzing a RemoteServer session over a worker-sync channel (async messages and sync requests) (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { workerSyncWire } from './wires/worker_sync';

test("a hostile peer on a worker-sync channel (async messages and sync requests): valid and malformed messages mixed", async () => {
  const report = await fuzz(workerSyncWire, fuzzOptions(scaled(300)));
  console.log(report);
}, 600_000);
