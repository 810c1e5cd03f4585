// Fuzzing a RemoteServer session over an Electron stand-in renderer (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { electronWire } from './wires/electron';

test("a hostile peer on an Electron stand-in renderer: valid and malformed messages mixed", async () => {
  const report = await fuzz(electronWire, fuzzOptions(scaled(300)));
  console.log(report);
}, 600_000);
