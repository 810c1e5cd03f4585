// Smoke test of examples/electron against the Electron stand-in: main.js runs here with
// require('electron') giving the stand-in's ipcMain and a BrowserWindow that opens a stand-in
// renderer; preload.js runs in that renderer (a worker thread). Real Electron was not run.
import { join } from 'node:path';

interface StandInWebContents {
  send(channel: string, ...args: unknown[]): void;
}
interface StandIn {
  ipcMain: {
    on(channel: string, listener: (event: { sender: unknown }, ...args: any[]) => void): unknown;
  };
  createWebContents(script: string, options?: { workerData?: unknown }): StandInWebContents;
  destroyAll(): Promise<void>;
}
const { createElectronStandIn } = require('../fixtures/remote/electron_stand_in.js') as {
  createElectronStandIn(options?: { syncTimeoutMs?: number }): StandIn;
};

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'electron');
const HOST = join(__dirname, '..', 'fixtures', 'remote', 'electron_example_preload_host.js');

async function until(condition: () => boolean, what: string, attempts = 2000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const standIn = createElectronStandIn({ syncTimeoutMs: 20000 });
const windows: Array<{ webContents: StandInWebContents; preload: string; loaded?: string }> = [];
const switches: string[][] = [];

afterAll(() => standIn.destroyAll());

test('the example app serves its preload in sync mode: proxies, a handful of FREEs, registry back', async () => {
  jest.doMock(
    'electron',
    () => ({
      app: {
        commandLine: { appendSwitch: (...args: string[]) => switches.push(args) },
        whenReady: () => Promise.resolve(),
        on: () => {},
        quit: () => {},
      },
      ipcMain: standIn.ipcMain,
      BrowserWindow: class {
        webContents: StandInWebContents;
        constructor(options: { webPreferences: { preload: string; sandbox: boolean } }) {
          expect(options.webPreferences.sandbox).toBe(false);
          const preload = options.webPreferences.preload;
          this.webContents = standIn.createWebContents(HOST, { workerData: { preload } });
          windows.push({ webContents: this.webContents, preload });
        }
        loadFile(file: string) {
          windows[windows.length - 1].loaded = file;
        }
        static getAllWindows() {
          return windows;
        }
      },
    }),
    { virtual: true },
  );
  jest.doMock('weakwire/remote', () => require('../../src/ts/remote'), { virtual: true });

  let exposed: string[] | undefined;
  standIn.ipcMain.on('test:ready', (_event, keys: string[]) => (exposed = keys));
  const answers = new Map<number, { ok: boolean; value?: any; error?: string }>();
  standIn.ipcMain.on('test:called', (_event, answer) => answers.set(answer.id, answer));
  let next = 1;
  const call = async (name: string, ...args: unknown[]): Promise<any> => {
    const id = next++;
    windows[0].webContents.send('test:call', { id, name, args });
    await until(() => answers.has(id), `demo.${name}()`);
    const answer = answers.get(id)!;
    if (!answer.ok) throw new Error(`demo.${name}() failed: ${answer.error}`);
    return answer.value;
  };

  require(join(EXAMPLE, 'main.js'));
  await until(() => exposed !== undefined, 'the preload to load and connect');
  expect(switches).toEqual([['js-flags', '--expose-gc']]);
  expect(windows[0].preload).toBe(join(EXAMPLE, 'preload.js'));
  expect(windows[0].loaded).toBe(join(EXAMPLE, 'index.html'));
  expect(exposed).toEqual(expect.arrayContaining(['platform', 'requireMany', 'collect', 'serverStats']));

  expect(await call('platform')).toBe(process.platform);
  expect(await call('appName')).toBe('weakwire electron example');
  expect(await call('increment')).toBe(1);
  expect(await call('increment')).toBe(2);
  /** Collects in the renderer until main's registry holds only what the preload keeps. */
  const collectUntil = async (done: (server: any) => boolean): Promise<any> => {
    let server = await call('serverStats');
    for (let i = 0; i < 200 && !done(server); i++) {
      await call('collect');
      server = await call('serverStats');
    }
    return server;
  };
  // Only the preload's long-lived `counter` proxy is left once the temporaries are collected, with
  // its `increment` method (the sync method stub keeps the function it was read as).
  const baseline = await collectUntil((server) => server.objects === 2);
  expect(baseline).toEqual({ sessions: 1, objects: 2, references: expect.any(Number) });
  const before = await call('clientStats');

  const many = await call('requireMany', 10_000);
  expect(many.same).toBe(true);
  expect(many.proxiesCreated - before.proxiesCreated).toBe(1);
  expect((await call('serverStats')).references - baseline.references).toBeGreaterThanOrEqual(10_000);

  // The FREEs leave from the renderer's event loop: poll main's registry until they are in.
  const server = await collectUntil((now) => now.references === baseline.references);
  expect(server).toEqual(baseline);
  const client = await call('clientStats');
  const frees = client.freeMessagesSent - before.freeMessagesSent;
  expect(frees).toBeGreaterThanOrEqual(1);
  expect(frees).toBeLessThanOrEqual(10);
});
