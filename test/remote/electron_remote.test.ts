// weakwire/remote end to end over the Electron transports, against the stand-in of
// ipcMain / ipcRenderer / webContents (test/fixtures/remote/electron_stand_in.js): main (this
// thread) serves through acceptElectronRenderers; each renderer is a worker thread whose client
// runs in sync mode (ipcRenderer.sendSync, the renderer blocked while main answers from its event
// loop) or async mode. Electron itself was not run: its binary cannot be downloaded here.
import { join } from 'node:path';
import { transports, RemoteServer, type RemoteSession, type Transport } from '../../src/ts/remote';
import type { ElectronIpcMainLike } from '../../src/ts/remote/transports';
import { gcUntil } from '../../src/ts/testing';

interface StandInWebContents {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  destroy(): Promise<number>;
}
interface StandIn {
  ipcMain: ElectronIpcMainLike;
  createWebContents(script: string, options?: { workerData?: unknown }): StandInWebContents;
  destroyAll(): Promise<void>;
}
const { createElectronStandIn } = require('../fixtures/remote/electron_stand_in.js') as {
  createElectronStandIn(options?: { syncTimeoutMs?: number }): StandIn;
};
const { makeServer } = require('../fixtures/remote/child_socket_electron_store.js') as {
  makeServer(remote: { RemoteServer: typeof RemoteServer }): { server: RemoteServer };
};

const RENDERER = join(__dirname, '..', 'fixtures', 'remote', 'electron_renderer_remote_client.js');

async function until(condition: () => boolean, what: string, attempts = 2000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An "Electron app": main serves weakwire/remote to every renderer that connects. */
function app() {
  const electron = createElectronStandIn({ syncTimeoutMs: 20000 });
  const { server } = makeServer({ RemoteServer });
  const sessions = new Map<unknown, RemoteSession[]>();
  const stop = transports.electronAccept(electron.ipcMain, (transport: Transport, webContents) => {
    const list = sessions.get(webContents) ?? [];
    list.push(server.serve(transport));
    sessions.set(webContents, list);
  });
  const results = new Map<number, { ok: boolean; value?: any; error?: any }>();
  electron.ipcMain.on('test:result', (_event, result) => results.set(result.id, result));
  let next = 1;

  async function openWindow(sync: boolean) {
    let ready = false;
    const webContents = electron.createWebContents(RENDERER, { workerData: { sync } });
    const onReady = (event: { sender: unknown }): void => {
      if (event.sender === webContents) ready = true;
    };
    electron.ipcMain.on('test:ready', onReady);
    await until(() => ready, 'the renderer to connect');
    electron.ipcMain.removeListener('test:ready', onReady);
    const run = async <T = any>(step: string, args?: object): Promise<T> => {
      const id = next++;
      webContents.send('test:step', { id, step, args });
      await until(() => results.has(id), `step ${step}`);
      const { ok, value, error } = results.get(id)!;
      results.delete(id);
      if (!ok) throw new Error(`step ${step} failed: ${error.name}: ${error.message}`);
      return value as T;
    };
    return { webContents, run, sessions: () => sessions.get(webContents) ?? [] };
  }

  async function shutdown() {
    stop();
    await electron.destroyAll();
    server.close();
  }

  return { server, openWindow, shutdown };
}

describe.each([
  ['sync (ipcRenderer.sendSync)', true],
  ['async (send/on)', false],
])('a renderer client in %s mode', (_mode, sync) => {
  let electronApp: ReturnType<typeof app>;
  beforeEach(() => {
    electronApp = app();
  });
  afterEach(() => electronApp.shutdown());

  test('proxy identity: the same object is the same proxy, and comes back as the original', async () => {
    const { run } = await electronApp.openWindow(sync);
    expect(await run('identity')).toEqual({ same: true, hello: 'hello', sentBackIsOriginal: true, sum: 5 });
  });

  test("10,000 require('os'): one proxy, registry back to baseline after GC, a handful of FREEs", async () => {
    const { server } = electronApp;
    const { run } = await electronApp.openWindow(sync);
    await run('stats');
    const baseline = server.stats();
    const loop = await run('requireLoop', { n: 10_000 });
    expect(loop.platform).toBe(process.platform);
    expect(loop.stats.proxiesCreated).toBe(1);
    // 10,000 receipts of os. Sync mode also read os.platform as a function proxy: one more
    // reference, unless GC already collected that temporary and its FREE arrived.
    const added = server.stats().references - baseline.references;
    expect(added).toBeGreaterThanOrEqual(10_000);
    expect(added).toBeLessThanOrEqual(sync ? 10_001 : 10_000);
    const collected = await run('collect');
    expect(collected.ok).toBe(true);
    await gcUntil(() => server.stats().objects === baseline.objects, { attempts: 200 });
    expect(server.stats().references).toBe(baseline.references);
    // Read the count only now: a proxy leaves the cache when it is collected, a moment before
    // its destructor queues the FREE, so the client's stats can run ahead of the messages.
    const after = await run('stats');
    expect(after.freeMessagesSent).toBeGreaterThanOrEqual(1);
    expect(after.freeMessagesSent).toBeLessThanOrEqual(10);
  });

  test('the same child object read 1,000 times: one proxy; registry empty after GC', async () => {
    const { server } = electronApp;
    const { run } = await electronApp.openWindow(sync);
    const loop = await run('getterLoop', { n: 1000 });
    expect(loop.same).toBe(true);
    expect((await run('collect')).ok).toBe(true);
    await gcUntil(() => server.stats().objects === 0, { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 1, objects: 0, references: 0 });
  });

  test('thrown errors and rejected promises cross between main and renderer', async () => {
    const { run } = await electronApp.openWindow(sync);
    const { thrown, rejected } = await run('errors');
    expect(thrown).toMatchObject({ threw: true, name: 'TypeError', message: 'bad input', extra: 42 });
    expect(thrown.stack).toMatch(/\[remote stack\]/);
    expect(rejected).toMatchObject({ name: 'RangeError', cause: { message: 'root cause' } });
  });

  test('arguments, which structured clone refuses whole, go tagged in a request and in an answer; the session goes on', async () => {
    const { run } = await electronApp.openWindow(sync);
    expect(await run('refusedWhole')).toEqual({ request: [{ 0: 1, 1: 'two' }], answer: { 0: 3, 1: 4 }, after: 11 });
  });

  test('a renderer callback is called by main and its result returns', async () => {
    const { run } = await electronApp.openWindow(sync);
    expect(await run('callsBack')).toBe(42);
  });

  test('a destroyed webContents ends its session and releases everything it held', async () => {
    const { server } = electronApp;
    const window = await electronApp.openWindow(sync);
    await window.run('hold', { module: 'os' });
    await window.run('identity');
    expect(server.stats().objects).toBeGreaterThan(0);
    await window.webContents.destroy();
    await gcUntil(() => window.sessions().every((s) => s.closed), { attempts: 200 });
    expect(server.stats()).toEqual({ sessions: 0, objects: 0, references: 0 });
  });

  test("a reloaded page's session is closed and released; the new page gets a fresh one", async () => {
    const { server } = electronApp;
    const window = await electronApp.openWindow(sync);
    await window.run('hold', { module: 'os' });
    expect(server.stats()).toMatchObject({ sessions: 1, objects: 1 });
    await window.run('reconnect');
    await window.run('hold', { module: 'store' });
    await gcUntil(() => window.sessions()[0].closed, { attempts: 200 });
    expect(window.sessions()).toHaveLength(2);
    expect(server.stats()).toEqual({ sessions: 1, objects: 1, references: 1 });
  });

  test('two windows are served independently', async () => {
    const { server } = electronApp;
    const one = await electronApp.openWindow(sync);
    const two = await electronApp.openWindow(!sync);
    await one.run('hold', { module: 'os' });
    await two.run('hold', { module: 'os' });
    expect(server.stats()).toMatchObject({ sessions: 2, objects: 2 });
    await one.run('close');
    await gcUntil(() => server.stats().sessions === 1, { attempts: 200 });
    expect(await two.run('useHeld', { module: 'os' })).toEqual({ threw: false });
  });
});
