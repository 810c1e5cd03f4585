// The sandboxed-renderer recipe (examples/electron-sandboxed): its preload, bundled with esbuild
// for the browser (portable backend, `electron` left to the sandbox's require), runs in a
// stand-in renderer (a worker thread) inside a realm with no Node `require`, no Buffer and no
// setImmediate, connected to a main process serving with the native backend; sync and async mode.
// Electron itself was not run: its binary cannot be downloaded here.
import { join } from 'node:path';
import os from 'node:os';
import { transports, RemoteServer } from '../../src/ts/remote';
import type { ElectronIpcMainLike } from '../../src/ts/remote/transports';

interface StandInWebContents {
  send(channel: string, ...args: unknown[]): void;
}
interface StandIn {
  ipcMain: ElectronIpcMainLike & { on(channel: string, listener: (event: unknown, ...args: any[]) => void): unknown };
  createWebContents(script: string, options?: { workerData?: unknown }): StandInWebContents;
  destroyAll(): Promise<void>;
}
const { createElectronStandIn } = require('../fixtures/remote/electron_stand_in.js') as {
  createElectronStandIn(options?: { syncTimeoutMs?: number }): StandIn;
};
const { bundleForBrowser } = require('../../scripts/browser/bundle.js') as {
  bundleForBrowser(entry: string, options?: { external?: string[] }): Promise<{ code: string; inputs: string[] }>;
};

const PRELOAD = join(__dirname, '..', '..', 'examples', 'electron-sandboxed', 'preload.mjs');
const HOST = join(__dirname, '..', 'fixtures', 'remote', 'electron_sandboxed_preload_host.js');

async function until(condition: () => boolean, what: string, attempts = 2000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

class Counter {
  value = 0;
  increment() {
    return ++this.value;
  }
  apply(fn: (x: number) => number, x: number) {
    return fn(x);
  }
}

let bundle: { code: string; inputs: string[] };
beforeAll(async () => {
  bundle = await bundleForBrowser(PRELOAD, { external: ['electron'] });
});

test('the bundle holds the portable backend and the browser platform, and no addon or Node built-in', () => {
  const inputs = bundle.inputs.map((input) => input.replace(/\\/g, '/'));
  expect(inputs).toEqual(expect.arrayContaining(['dist/backend.browser.js', 'dist/remote/platform.browser.js']));
  for (const nodeOnly of ['dist/binding.js', 'dist/backend.js', 'dist/remote/platform.js', 'dist/remote/transports/stream.js']) {
    expect(inputs).not.toContain(nodeOnly);
  }
  expect(bundle.code).not.toMatch(/require\("(node:|fs|path|worker_threads|util|events)/);
});

describe.each([
  ['sync', [] as string[]],
  ['async', ['--weakwire-async']],
])('the sandboxed preload in %s mode', (mode, argv) => {
  const standIn = createElectronStandIn({ syncTimeoutMs: 20000 });
  const server = new RemoteServer({ modules: { os: () => os, counter: () => new Counter() } });
  const stop = transports.electronAccept(standIn.ipcMain, (transport) => server.serve(transport));
  afterAll(async () => {
    stop();
    await standIn.destroyAll();
    server.close();
  });

  test('proxies, callbacks, 10,000 requires, then a handful of FREEs and the registry back', async () => {
    let ready: { exposed: string[]; missing: string[] } | undefined;
    standIn.ipcMain.on('test:ready', (_event, info) => (ready = info));
    const answers = new Map<number, { ok: boolean; value?: any; error?: string }>();
    standIn.ipcMain.on('test:called', (_event, answer) => answers.set(answer.id, answer));
    const webContents = standIn.createWebContents(HOST, { workerData: { code: bundle.code, argv: ['electron', ...argv] } });
    let next = 1;
    const call = async (name: string, ...args: unknown[]): Promise<any> => {
      const id = next++;
      webContents.send('test:call', { id, name, args });
      await until(() => answers.has(id), `demo.${name}()`);
      const answer = answers.get(id)!;
      if (!answer.ok) throw new Error(`demo.${name}() failed: ${answer.error}`);
      return answer.value;
    };
    await until(() => ready !== undefined, 'the preload to load and connect');
    expect(ready!.missing).toEqual([]);
    expect(await call('mode')).toBe(mode);
    expect(await call('backend')).toBe('portable');
    expect(await call('platform')).toBe(process.platform);
    expect(await call('increment')).toBe(1);
    expect(await call('double', 21)).toBe(42);

    const before = await call('clientStats');
    const many = await call('requireMany', 10_000);
    expect(many.same).toBe(true);
    expect(many.proxiesCreated - before.proxiesCreated).toBeLessThanOrEqual(1);
    expect(server.stats().references).toBeGreaterThanOrEqual(10_000);

    // Everything the preload held was temporary: collect until main's registry is empty.
    for (let i = 0; i < 100 && server.stats().objects > 0; i++) await call('collect');
    expect(server.stats()).toEqual({ sessions: 1, objects: 0, references: 0 });
    const after = await call('clientStats');
    const frees = after.freeMessagesSent - before.freeMessagesSent;
    expect(frees).toBeGreaterThanOrEqual(1);
    expect(frees).toBeLessThanOrEqual(10);
  });
});
