/**
 * docs/security.md, the 'error' channel: failures nobody awaited become process warnings when
 * nobody listens. A peer decides how many such failures there are (every malformed message is
 * one), so it must not decide how many warnings the process prints.
 */
import { RemoteServer } from '../../../src/ts/remote';
import { rawPeer, type RawPeer } from '../raw_peer';

let warnings: jest.SpyInstance;
let peer: RawPeer;

beforeEach(async () => {
  warnings = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  peer = rawPeer(new RemoteServer({}));
  await peer.hello();
});

afterEach(() => {
  warnings.mockRestore();
  peer.close();
});

test('a flood of malformed messages prints a bounded number of warnings, and every one is counted', async () => {
  for (let i = 0; i < 500; i++) {
    peer.post(42); // not a message: a lost message, reported
    peer.post({ op: 'error', seq: 0, error: { $: 'error', name: 'Error', message: `forged log line ${i}` } });
  }
  await peer.ask({ op: 'global', name: 'none' }); // behind all of them
  expect(peer.session.dropped).toBeGreaterThanOrEqual(1000);
  expect(warnings.mock.calls.length).toBeGreaterThan(0);
  expect(warnings.mock.calls.length).toBeLessThanOrEqual(20);
  expect(String(warnings.mock.calls.at(-1)?.[0])).toMatch(/'error'/);
});

test("with a listener, the session's 'error' event still gets every failure", async () => {
  const errors: Error[] = [];
  peer.session.on('error', (error) => errors.push(error));
  for (let i = 0; i < 100; i++) peer.post(42);
  await peer.ask({ op: 'global', name: 'none' }); // behind all of them
  expect(errors).toHaveLength(100);
  expect(warnings).not.toHaveBeenCalled();
});
