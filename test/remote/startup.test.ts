import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const probe = join(__dirname, '..', 'fixtures', 'remote', 'startup_probe.js');

interface Loaded {
  builtins: string[];
  packageFiles: string[];
  binaries: number;
  answer?: number;
  tracked?: number;
  sessionRemoteError?: boolean;
}

/** Runs the probe in a fresh process (require.cache and the built-in list start empty there). */
function loaded(step: 'require' | 'transport' | 'session'): Loaded {
  const child = spawnSync(process.execPath, [probe, step], { encoding: 'utf8', timeout: 60_000 });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as Loaded;
}

// Start-up is measured in `npm run bench` (payload case, startup/comlink); these tests pin the
// structure that makes it cheap, so a change that undoes it fails here and not only in a figure.
describe("require('weakwire/remote') in Node", () => {
  test('reads one file of the package: the bundled session code, without the transports', () => {
    expect(loaded('require').packageFiles).toEqual(['dist/remote/index.node.js']);
  });

  test('compiles no MessagePack frame code: the frame codec is in the transports file, which only the streams use', () => {
    // esbuild marks each bundled module with a comment naming its file.
    const dist = join(__dirname, '..', '..', 'dist', 'remote');
    expect(readFileSync(join(dist, 'index.node.js'), 'utf8')).not.toContain('// dist/remote/codec/frames.js');
    expect(readFileSync(join(dist, 'transports.node.js'), 'utf8')).toContain('// dist/remote/codec/frames.js');
  });

  test('loads no transport built-in (worker_threads, net, child_process, v8) and no native addon', () => {
    const out = loaded('require');
    expect(out.builtins).toEqual([]);
    expect(out.binaries).toBe(0);
  });

  test('a transport loads the transports file and the built-ins it needs when it is first asked for', () => {
    const out = loaded('transport');
    expect(out.packageFiles).toEqual(['dist/remote/index.node.js', 'dist/remote/transports.node.js']);
    expect(out.builtins).toContain('worker_threads');
    expect(out.binaries).toBe(0);
  });

  test("the transports file uses the session file's modules: its errors are the exported RemoteError", () => {
    expect(loaded('transport').sessionRemoteError).toBe(true);
  });

  test("a session loads weakwire's own backend module (dist/backend.js, not a copy) and one addon", () => {
    const out = loaded('session');
    expect(out.answer).toBe(42);
    expect(out.packageFiles).toContain('dist/backend.js');
    expect(out.binaries).toBe(1);
  });

  test("the session's proxies are counted by the weakwire loaded after it: one per-process state", () => {
    expect(loaded('session').tracked).toBeGreaterThanOrEqual(1);
  });
});
