// Fuzzing a RemoteServer session over a worker-sync channel (async messages and sync requests) (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { WorkerSyncWire } from './wires/worker_sync';

test('a hostile peer on a worker-sync channel (async messages and sync requests): valid and malformed messages mixed', async () => {
  await fuzz(() => new WorkerSyncWire(), fuzzOptions(scaled(100)));
}, 600_000);
