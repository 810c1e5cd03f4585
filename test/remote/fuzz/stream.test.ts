// Fuzzing a RemoteServer session over a TCP connection (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { StreamWire } from './wires/stream';

test('a hostile peer on a TCP connection: valid and malformed messages mixed', async () => {
  await fuzz(() => new StreamWire(), fuzzOptions(scaled(100)));
}, 600_000);
