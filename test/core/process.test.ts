import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dist = join(__dirname, '..', '..', 'dist');
const fixture = (name: string) => join(__dirname, '..', 'fixtures', 'core', name);

// Each fixture takes the entry point to test: the package's main build, or its portable build.
const ENTRIES: Array<[string, string]> = [
  ['native', dist],
  ['portable', join(dist, 'portable')],
];

function runNode(entry: string, script: string, ...args: string[]) {
  return spawnSync(process.execPath, [fixture(script), entry, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe.each(ENTRIES)('%s backend in a real process', (_backend, entry) => {
  test('a throwing callback is reported as uncaughtException and the rest of the batch still runs', () => {
    const result = runNode(entry, 'throwing_callbacks.js');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(report.uncaught).toEqual(['boom 3', 'boom 7']);
    expect(report.stats).toEqual({ trackedObjects: 0, pendingCallbacks: 0, mapEntries: 0 });
  });

  test('without a handler, a throwing callback fails the process like any uncaught error', () => {
    const result = runNode(entry, 'unhandled_throw.js');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('destructor failed loudly');
  });

  test('pending destructors do not keep the process alive, and exiting with them is clean', () => {
    const result = runNode(entry, 'exit_pending.js');
    expect(result.error).toBeUndefined(); // not killed by the timeout
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  test('process.exit() with callbacks queued is clean', () => {
    const result = runNode(entry, 'exit_pending.js', 'exit');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });
});
