// Fuzzing a RemoteServer session over a child process's IPC channel (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { ChildProcessWire } from './wires/child_process';

test('a hostile peer on a child process\'s IPC channel: valid and malformed messages mixed', async () => {
  await fuzz(() => new ChildProcessWire(), fuzzOptions(scaled(100)));
}, 600_000);
