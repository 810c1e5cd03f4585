/**
 * A hostile Electron main process against the renderer transport (the preload side): main is the
 * test, speaking the IPC envelopes by hand through the Electron stand-in
 * (test/fixtures/remote/electron_stand_in.js); the renderer is a worker running a weakwire client.
 * The renderer must not crash, hang a call beyond callTimeoutMs, or keep what main floods it with.
 */
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { PROTOCOL_VERSION } from '../../../src/ts/remote';
import type { WireMessage } from '../../../src/ts/remote/transport';

interface StandInWebContents extends EventEmitter {
  send(channel: string, ...args: unknown[]): void;
  destroy(): Promise<number>;
}
interface StandIn {
  ipcMain: EventEmitter;
  createWebContents(script: string, options?: { workerData?: unknown }): StandInWebContents;
  destroyAll(): Promise<void>;
}
const { createElectronStandIn } = require('../../fixtures/remote/electron_stand_in.js') as {
  createElectronStandIn(options?: { syncTimeoutMs?: number }): StandIn;
};

const RENDERER = join(__dirname, '..', '..', 'fixtures', 'remote', 'hostile_main_renderer.js');
const CALL_TIMEOUT_MS = 500;

type Report = { event: string; [key: string]: any };
/** What main answers to a request of the renderer: an answer, or undefined for none. */
type Respond = (request: WireMessage, nonce: string) => WireMessage | undefined;

const standIns: StandIn[] = [];
afterEach(async () => {
  for (const standIn of standIns.splice(0)) await standIn.destroyAll();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Answers the handshake and `require` as a weakwire main would; everything else as `respond` says. */
function honestUntil(respond: Respond): Respond {
  return (request, nonce) => {
    if (request.op === 'hello') return { op: 'result', seq: request.seq, value: PROTOCOL_VERSION };
    if (request.op === 'require') return { op: 'result', seq: request.seq, value: { $: 'ref', id: 1 } };
    // A sync proxy reads a member before it calls it: every member is a function.
    if (request.op === 'get') return { op: 'result', seq: request.seq, value: { $: 'ref', id: 2, fn: true } };
    return respond(request, nonce);
  };
}

/** A renderer whose main process is `respond`, answering sync requests in place, async ones by webContents.send. */
async function rendererUnder(respond: Respond, sync: boolean) {
  const electron = createElectronStandIn({ syncTimeoutMs: 10_000 });
  standIns.push(electron);
  const webContents = electron.createWebContents(RENDERER, { workerData: { sync, callTimeoutMs: CALL_TIMEOUT_MS } });
  const reports: Report[] = [];
  let crashed = false;
  let nonce = '';
  webContents.on('render-process-gone', () => (crashed = true));
  const send = (envelope: unknown) => webContents.send('weakwire', envelope);
  electron.ipcMain.on('test:report', (event: { sender: unknown }, report: Report) => {
    if (event.sender === webContents) reports.push(report);
  });
  electron.ipcMain.on('weakwire', (event: { sender: unknown; returnValue?: unknown }, envelope: { k: string; n: string; m: WireMessage }) => {
    if (event.sender !== webContents) return;
    if (envelope.k === 'open') {
      nonce = envelope.n;
      event.returnValue = { k: 'ok' };
      return;
    }
    if (envelope.k !== 'sync' && envelope.k !== 'msg') return;
    const answer = respond(envelope.m, nonce);
    if (answer === undefined) return;
    if (envelope.k === 'sync') event.returnValue = { k: 'reply', m: answer };
    else send({ k: 'msg', n: nonce, m: answer });
  });
  const command = (run: string, args: Record<string, unknown> = {}) => webContents.send('test:command', { run, ...args });
  const next = async (event: string): Promise<Report> => {
    await until(() => crashed || reports.some((r) => r.event === event), `report "${event}"`);
    if (crashed) throw new Error('the renderer crashed');
    return reports.splice(reports.findIndex((r) => r.event === event), 1)[0];
  };
  await next('ready');
  return { send, command, next, nonce: () => nonce, crashed: () => crashed, reports };
}

describe.each([
  ['async', false],
  ['sync', true],
])('a hostile main against a renderer in %s mode', (_mode, sync) => {
  test('a call answered with a promise main never settles fails after callTimeoutMs', async () => {
    const renderer = await rendererUnder(
      honestUntil((request) => ({ op: 'result', seq: request.seq, value: { $: 'promise', id: 7 } })),
      sync,
    );
    renderer.command('call', { module: 'm', member: 'f' });
    expect(await renderer.next('failed')).toMatchObject({ code: 'ERR_REMOTE_TIMEOUT' });
    renderer.command('stats');
    expect((await renderer.next('stats')).stats).toMatchObject({ pendingPromises: 0, pendingCalls: 0 });
  });
});
