// Preload for a sandboxed renderer (sandbox: true, Electron's default). A sandboxed preload
// cannot load a native addon nor most Node modules, so this file is bundled (build.mjs: esbuild,
// platform browser) with weakwire's portable backend; only `electron` stays a require, which the
// sandbox answers. It keeps every proxy here and hands the page plain data only.
import { contextBridge, ipcRenderer } from 'electron';
import { connect, transports } from 'weakwire/remote';
import { backend } from 'weakwire';

// Sync mode (ipcRenderer.sendSync, as @electron/remote works) unless main asked for async with
// webPreferences.additionalArguments: ['--weakwire-async'].
const sync = !process.argv.includes('--weakwire-async');
const remote = connect(transports.electronRenderer(ipcRenderer), { sync });

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

// Written with `await` throughout, so the same code runs in both modes (a sync result is a value).
contextBridge.exposeInMainWorld('demo', {
  mode: () => (sync ? 'sync' : 'async'),
  backend: () => backend,
  async platform() {
    const os = await remote.require('os');
    return os.platform();
  },
  async increment() {
    const counter = await remote.require('counter');
    return counter.increment();
  },
  // The page's callback, called by main: functions go by reference, both ways.
  async double(x) {
    const counter = await remote.require('counter');
    return counter.apply((n) => n * 2, x);
  },
  async requireMany(n) {
    const first = await remote.require('os');
    let same = true;
    for (let i = 1; i < n; i++) if ((await remote.require('os')) !== first) same = false;
    return { same, ...remote.stats() };
  },
  // gc() on tasks of its own: reading proxies keeps them alive until the task ends.
  async collect() {
    for (let i = 0; i < 10; i++) {
      await turn();
      if (typeof globalThis.gc === 'function') globalThis.gc();
      await turn();
    }
    return remote.stats();
  },
  clientStats: () => remote.stats(),
});
