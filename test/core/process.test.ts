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

// Capping the address space works where util-linux's prlimit is (Linux), and not under a
// sanitizer (npm run test:asan preloads one, which reserves terabytes of address space itself).
const canLimitMemory =
  process.platform === 'linux' &&
  !(process.env.LD_PRELOAD ?? '').includes('asan') &&
  spawnSync('prlimit', ['--version']).status === 0;

describe.each(ENTRIES)('%s backend in a real process', (backend, entry) => {
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

  test('WEAKWIRE_NATIVE_PATH naming a missing file is an error that names the variable', () => {
    const missing = join(__dirname, 'no-such-dir', 'weakwire.node');
    const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dist)})`], {
      encoding: 'utf8',
      env: { ...process.env, WEAKWIRE_NATIVE_PATH: missing },
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('WEAKWIRE_NATIVE_PATH');
    expect(result.stderr).toContain(missing);
  });

  // The native backend's own failure mode: the portable one allocates nothing outside the heap.
  (canLimitMemory && backend === 'native' ? test : test.skip)(
    'running out of memory inside a native method is a JavaScript error, not an abort',
    () => {
      const size = 256 * 1024 * 1024;
      const measured = runNode(entry, 'out_of_memory.js', String(size), 'measure');
      expect(measured.status).toBe(0);
      const { virtualKiB } = JSON.parse(measured.stdout) as { virtualKiB: number };
      // Room for half the key's copy: the string is already in the heap, its copy cannot fit.
      const limit = (virtualKiB + size / 2 / 1024) * 1024;
      const result = spawnSync(
        'prlimit',
        [`--as=${limit}`, process.execPath, fixture('out_of_memory.js'), entry, String(size)],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(result.signal).toBeNull();
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as { error: { message: string }; size: number; after: boolean };
      expect(report.error.message).toMatch(/bad_alloc|memory/);
      expect(report).toMatchObject({ size: 1, after: true });
    },
  );
});
