// Fuzzing a RemoteServer session over a child process's IPC channel (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { childProcessWire } from './wires/child_process';

test("a hostile peer on a child process's IPC channel: valid and malformed messages mixed", async () => {
  const report = await fuzz(childProcessWire, fuzzOptions(scaled(300)));
  console.log(report);
}, 600_000);
