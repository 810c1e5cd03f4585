// Fuzzing a RemoteServer session over an Electron stand-in renderer (see run.ts for the invariants).
import { fuzz, fuzzOptions, scaled } from './run';
import { ElectronWire } from './wires/electron';

test('a hostile peer on an Electron stand-in renderer: valid and malformed messages mixed', async () => {
  await fuzz(() => new ElectronWire(), fuzzOptions(scaled(100)));
}, 600_000);
