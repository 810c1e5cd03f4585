// Fuzzing a RemoteServer session over a MessagePort (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { MessagePortWire } from './wires/message_port';

test('a hostile peer on a MessagePort: valid and malformed messages mixed', async () => {
  await fuzz(() => new MessagePortWire(), fuzzOptions(scaled(100)));
}, 600_000);
