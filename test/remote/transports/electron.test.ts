// Transport conformance: Electron, the main-process end here and the renderer end in a stand-in
// renderer (a worker thread behind test/fixtures/remote/electron_stand_in.js, blocking in sendSync
// as an Electron renderer does; Electron itself is not run here).
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { transports } from '../../../src/ts/remote';
import type { ElectronWebContentsLike } from '../../../src/ts/remote/transports';
import { conformanceSuite, notApplicable, type Pair } from './conformance';
import { LocalEnd, RemoteEnd, until } from './ends';
import { ELECTRON_JUNK } from './junk';

interface StandInWebContents extends ElectronWebContentsLike {
  destroy(): Promise<number>;
}
interface StandIn {
  ipcMain: EventEmitter;
  createWebContents(script: string): StandInWebContents;
  destroyAll(): Promise<void>;
}
const { createElectronStandIn } = require('../../fixtures/remote/electron_stand_in.js') as {
  createElectronStandIn(options?: { syncTimeoutMs?: number }): StandIn;
};

const RENDERER = join(__dirname, '..', '..', 'fixtures', 'remote', 'conformance_renderer_peer.js');

interface ElectronPair extends Pair {
  readonly peer: RemoteEnd;
  readonly webContents: StandInWebContents;
}

/** The nonce the renderer picked, as its main transport learned it when the renderer opened. */
function rendererNonce(pair: ElectronPair): string {
  const nonce = (pair.local.transport as unknown as { nonce?: string }).nonce;
  if (nonce === undefined) throw new Error('the renderer has not opened yet');
  return nonce;
}

async function openWindow(): Promise<ElectronPair> {
  const electron = createElectronStandIn({ syncTimeoutMs: 10_000 });
  const webContents = electron.createWebContents(RENDERER);
  let ready = false;
  const listeners: Array<(message: any) => void> = [];
  electron.ipcMain.on('conformance:event', (event: { sender: unknown }, message: any) => {
    if (event.sender !== webContents) return;
    if (message?.ready) ready = true;
    else for (const listener of listeners) listener(message);
  });
  const peer = new RemoteEnd({
    post: (command) => {
      if (!webContents.isDestroyed()) webContents.send('conformance:command', command);
    },
    listen: (onMessage) => void listeners.push(onMessage),
  });
  webContents.on('destroyed', () => peer.lost('the webContents was destroyed'));
  webContents.on('render-process-gone', () => peer.lost('the renderer is gone'));
  await until(() => ready, 'the renderer');
  return {
    local: new LocalEnd(transports.electronMain(electron.ipcMain, webContents)),
    peer,
    webContents,
    dispose: () => electron.destroyAll(),
  };
}

conformanceSuite<ElectronPair>(() => ({
  name: 'electron (main to a stand-in renderer)',
  open: openWindow,
  peerDeath: {
    how: 'the webContents is destroyed',
    kill: async (pair) => void (await pair.webContents.destroy()),
    reportsError: true,
  },
  oversize: notApplicable('Electron IPC has no cap on one message\'s size'),
  backlog: notApplicable('Electron queues what webContents.send and ipcRenderer.send send: nothing waits in the transport'),
  malformed: {
    intoLocal: async (pair) => {
      const junk = [...ELECTRON_JUNK.ours('<nonce>'), ...ELECTRON_JUNK.others];
      await pair.peer.raw(junk);
      return { reported: ELECTRON_JUNK.ours('<nonce>').length };
    },
    intoPeer: async (pair) => {
      const ours = ELECTRON_JUNK.ours(rendererNonce(pair));
      for (const value of [...ours, ...ELECTRON_JUNK.others]) pair.webContents.send('weakwire', value);
      return { reported: ours.length };
    },
  },
  clones: true,
  messageError: notApplicable("Electron IPC has no 'messageerror' event"),
}));
