// Fuzzing a RemoteServer session over a TCP connection (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { streamWire } from './wires/stream';

test("a hostile peer on a TCP connection: valid and malformed messages mixed", async () => {
  const report = await fuzz(streamWire, fuzzOptions(scaled(300)));
  console.log(report);
}, 600_000);
