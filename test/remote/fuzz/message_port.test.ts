// Fuzzing a RemoteServer session over a MessagePort (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { messagePortWire } from './wires/message_port';

test("a hostile peer on a MessagePort: valid and malformed messages mixed", async () => {
  const report = await fuzz(messagePortWire, fuzzOptions(scaled(300)));
  console.log(report);
}, 600_000);
