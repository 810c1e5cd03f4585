/**
 * A browser build of `weakwire`, made the way an application's bundler makes it: esbuild with
 * platform "browser" resolving the package by name. The bundle must reach neither the addon
 * (`.node`, node-gyp-build) nor a Node built-in, and must work in a realm that has no `require`,
 * no `process` and no `setImmediate`.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { build, type Plugin } from 'esbuild';
import { forceGC } from '../../src/ts/testing';

const repoRoot = path.join(__dirname, '..', '..');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

let work: string;

beforeAll(() => {
  // A consumer project whose node_modules/weakwire is this repository (built by `pretest`).
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-browser-'));
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(repoRoot, path.join(work, 'node_modules', 'weakwire'), 'dir');
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Bundle {
  code: string;
  /** Every specifier esbuild was asked to resolve, and every file it read. */
  specifiers: string[];
  inputs: string[];
}

async function bundle(source: string): Promise<Bundle> {
  const entry = path.join(work, `entry-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(entry, source);
  const specifiers: string[] = [];
  const recorder: Plugin = {
    name: 'record-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        specifiers.push(args.path);
        return undefined; // esbuild resolves it as usual
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: work,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [recorder],
  });
  return {
    code: result.outputFiles[0].text,
    specifiers,
    inputs: Object.keys(result.metafile.inputs).map((input) => path.resolve(work, input)),
  };
}

function expectNoNodeOnlyCode(b: Bundle): void {
  expect(b.specifiers.filter((s) => builtins.has(s) || s.endsWith('.node'))).toEqual([]);
  expect(b.specifiers).not.toContain('node-gyp-build');
  const dist = path.join(repoRoot, 'dist');
  const read = b.inputs.map((input) => path.relative(dist, fs.realpathSync(input)));
  for (const nativeOnly of ['binding.js', 'weak_handle.js', 'id_weak_map.js', 'stats.js', 'backend.js']) {
    expect(read).not.toContain(nativeOnly);
  }
  expect(read).toContain(path.join('portable', 'weak_handle.js'));
}

/** A realm like a page's: timers and microtasks, no require/process/setImmediate. */
function browserLikeContext(): vm.Context {
  return vm.createContext({ setTimeout, queueMicrotask, gc: forceGC });
}

// Runs in the bundle's realm: every API once, through real GC.
const SCENARIO = `
  const { setDestructor, IDWeakMap, createIDWeakMap, stats, backend } = globalThis.weakwire;
  globalThis.result = (async () => {
    const turn = () => new Promise((resolve) => setTimeout(resolve, 0));
    const ran = [];
    (() => {
      for (let i = 0; i < 100; i++) setDestructor({ i }, (n) => ran.push(n), i);
    })();
    const map = createIDWeakMap();
    const kept = { kept: true };
    map.set(1, kept);
    (() => map.set(2, {}))();
    const cancel = setDestructor(kept, () => ran.push('kept'));
    let badKey;
    try { map.get(1.5); } catch (error) { badKey = error.constructor === TypeError && error.message; }
    for (let round = 0; round < 200 && ran.length < 100; round++) {
      await turn();
      gc();
      await turn();
    }
    return {
      backend,
      ran: ran.length,
      live: [...map.keys()],
      isMap: map instanceof IDWeakMap,
      cancelled: cancel(),
      badKey,
      stats: stats(),
    };
  })();
`;

describe('a browser bundle of weakwire (esbuild, platform browser)', () => {
  test('import from "weakwire" takes the portable backend and no Node-only module', async () => {
    const b = await bundle(`import * as weakwire from 'weakwire'; globalThis.weakwire = weakwire;`);
    expectNoNodeOnlyCode(b);
  });

  test('"weakwire/portable" resolves to the same code', async () => {
    const b = await bundle(`import * as weakwire from 'weakwire/portable'; globalThis.weakwire = weakwire;`);
    expectNoNodeOnlyCode(b);
  });

  test('modules inside the package that import the backend get the portable one (package.json "browser")', async () => {
    // dist/index.js reaches the backend through ./backend, as weakwire/testing and remote do.
    const b = await bundle(
      `import * as weakwire from ${JSON.stringify(path.join(work, 'node_modules', 'weakwire', 'dist', 'index.js'))};` +
        `globalThis.weakwire = weakwire;`,
    );
    expectNoNodeOnlyCode(b);
  });

  test('the bundle runs in a realm without require, process or setImmediate', async () => {
    const b = await bundle(`import * as weakwire from 'weakwire'; globalThis.weakwire = weakwire;`);
    const context = browserLikeContext();
    vm.runInContext(b.code, context);
    vm.runInContext(SCENARIO, context);
    const result = await (context.result as Promise<Record<string, unknown>>);
    expect(result).toEqual({
      backend: 'portable',
      ran: 100,
      live: [1],
      isMap: true,
      cancelled: true,
      badKey: 'IDWeakMap.get: key must be a safe integer or a string; got the number 1.5',
      stats: { trackedObjects: 0, pendingCallbacks: 0, mapEntries: 1 },
    });
  });

  test('"weakwire/remote" bundles with the browser platform and transports, and runs without require, process or setImmediate', async () => {
    const b = await bundle(`import * as remote from 'weakwire/remote'; globalThis.remote = remote;`);
    expectNoNodeOnlyCode(b);
    const dist = path.join(repoRoot, 'dist');
    const read = b.inputs.map((input) => path.relative(dist, fs.realpathSync(input)));
    expect(read).toContain(path.join('remote', 'platform.browser.js'));
    expect(read).toContain(path.join('remote', 'transports', 'index.browser.js'));
    for (const nodeOnly of ['platform.js', 'transports/index.js', 'transports/stream.js', 'transports/worker_sync.js']) {
      expect(read).not.toContain(path.join('remote', nodeOnly));
    }
    const context = vm.createContext({ setTimeout, clearTimeout, queueMicrotask, TextEncoder, TextDecoder });
    vm.runInContext(b.code, context);
    const result = vm.runInContext(
      `({ transports: Object.keys(remote.transports).sort(), protocol: remote.PROTOCOL_VERSION, server: typeof new remote.RemoteServer().serve })`,
      context,
    );
    expect(result).toEqual({ transports: ['electronRenderer', 'webSocket', 'webSocketAccept'], protocol: expect.any(Number), server: 'function' });
  });
});
