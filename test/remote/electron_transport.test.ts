// The Electron transports' own details against the stand-in of ipcMain / ipcRenderer /
// webContents (test/fixtures/remote/electron_stand_in.js): main is this thread, each renderer a
// worker thread blocking in sendSync exactly as an Electron renderer does. Electron itself is not
// run here. What every transport does is in the conformance suite
// (test/remote/transports/electron.test.ts).
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Transport, WireMessage } from '../../src/ts/remote/transport';
import {
  acceptElectronRenderers,
  electronMainTransport,
  type ElectronWebContentsLike,
} from '../../src/ts/remote/transports/electron_main';
import { electronRendererTransport } from '../../src/ts/remote/transports/electron_renderer';

interface StandInWebContents extends ElectronWebContentsLike {
  destroy(): Promise<number>;
}
interface StandInIpcMain extends EventEmitter {
  handle(channel: string, handler: (event: unknown, ...args: any[]) => unknown): void;
}
interface StandIn {
  ipcMain: StandInIpcMain;
  createWebContents(script: string, options?: { workerData?: unknown }): StandInWebContents;
  destroyAll(): Promise<void>;
}
const { createElectronStandIn } = require('../fixtures/remote/electron_stand_in.js') as {
  createElectronStandIn(options?: { syncTimeoutMs?: number }): StandIn;
};

const RENDERER = join(__dirname, '..', 'fixtures', 'remote', 'electron_renderer_transport_peer.js');

type Report = { event: string; [key: string]: any };

const standIns: StandIn[] = [];
afterEach(async () => {
  for (const standIn of standIns.splice(0)) await standIn.destroyAll();
});

async function until(condition: () => boolean, what: string, attempts = 1000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function record(transport: Transport, onMessage?: (m: WireMessage, reply?: (a: WireMessage) => void) => void) {
  const messages: WireMessage[] = [];
  const closes: Array<Error | undefined> = [];
  let onClose: (error: Error | undefined) => void = () => {};
  const closed = new Promise<Error | undefined>((resolve) => (onClose = resolve));
  transport.start({
    message: (message, reply) => {
      messages.push(message);
      onMessage?.(message, reply);
    },
    close: (error) => {
      closes.push(error);
      onClose(error);
    },
  });
  return { messages, closes, closed };
}

/** Opens a stand-in window running the renderer fixture; returns helpers to drive it. */
async function openWindow(standIn?: StandIn) {
  const electron = standIn ?? createElectronStandIn({ syncTimeoutMs: 10000 });
  if (!standIn) standIns.push(electron);
  const webContents = electron.createWebContents(RENDERER);
  const reports: Report[] = [];
  electron.ipcMain.on('test:report', (event: { sender: unknown }, report: Report) => {
    if (event.sender === webContents) reports.push(report);
  });
  const command = (run: string, args: Record<string, unknown> = {}) =>
    webContents.send('test:command', { run, ...args });
  /** Waits for the first report not yet consumed that matches, and consumes it. */
  const next = async (event: string, index?: number): Promise<Report> => {
    const match = (r: Report) => r.event === event && (index === undefined || r.index === index);
    await until(() => reports.some(match), `report "${event}"`);
    return reports.splice(reports.findIndex(match), 1)[0];
  };
  await next('ready');
  return { electron, ipcMain: electron.ipcMain, webContents, reports, command, next };
}

describe('the Electron stand-in (what the transports rely on)', () => {
  test('sendSync blocks the renderer until main sets event.returnValue, even later from its event loop', async () => {
    const w = await openWindow();
    w.ipcMain.on('slow-double', (event: { returnValue: unknown }, x: number) => {
      // Main answers from a later turn of its event loop and sends noise first: the renderer
      // stays blocked, so it hears the noise only after sendSync has returned.
      setTimeout(() => {
        w.webContents.send('noise', 'while blocked');
        event.returnValue = x * 2;
      }, 20);
    });
    w.command('listen', { channel: 'noise' });
    w.command('rawSendSync', { channel: 'slow-double', args: [21] });
    await until(() => w.reports.length === 2, 'the answer and the noise');
    expect(w.reports.map((r) => r.event)).toEqual(['rawSync', 'heard']);
    expect(w.reports[0].value).toBe(42);
  });

  test('send/on delivers to ipcMain with event.sender, webContents.send to ipcRenderer listeners', async () => {
    const w = await openWindow();
    const got: Array<[unknown, unknown[]]> = [];
    w.ipcMain.on('hello', (event: { sender: unknown }, ...args: unknown[]) => got.push([event.sender, args]));
    w.command('listen', { channel: 'back' });
    w.command('rawSend', { channel: 'hello', args: [1, 'two'] });
    await until(() => got.length === 1, 'the message in main');
    expect(got[0][0]).toBe(w.webContents);
    expect(got[0][1]).toEqual([1, 'two']);
    w.webContents.send('back', { x: 1 });
    expect(await w.next('heard')).toEqual({
      event: 'heard',
      channel: 'back',
      args: [{ x: 1 }],
      senderIsIpcRenderer: true,
    });
  });

  test('invoke/handle resolves with the handler result; missing or failing handlers reject', async () => {
    const w = await openWindow();
    w.ipcMain.handle('add', async (_event, a: number, b: number) => a + b);
    w.ipcMain.handle('fail', () => {
      throw new Error('nope');
    });
    w.command('rawInvoke', { channel: 'add', args: [2, 3] });
    expect((await w.next('invoked')).value).toBe(5);
    w.command('rawInvoke', { channel: 'fail', args: [] });
    expect((await w.next('invokeRejected')).error).toBe(
      "Error invoking remote method 'fail': Error: nope",
    );
    w.command('rawInvoke', { channel: 'missing', args: [] });
    expect((await w.next('invokeRejected')).error).toBe(
      "Error invoking remote method 'missing': No handler registered for 'missing'",
    );
  });

  test('payloads are structured-cloned: Map and Date survive, functions cannot be sent', async () => {
    const w = await openWindow();
    const got: unknown[] = [];
    w.ipcMain.on('clone', (_event: unknown, value: unknown) => got.push(value));
    const sent = { map: new Map([[1, 'one']]), when: new Date(5) };
    w.ipcMain.on('echo-back', (event: { sender: StandInWebContents }, value: unknown) =>
      event.sender.send('cloned', value),
    );
    w.command('listen', { channel: 'cloned' });
    w.webContents.send('test:command', { run: 'rawSend', channel: 'echo-back', args: [sent] });
    const heard = await w.next('heard');
    expect(heard.args[0]).toEqual(sent);
    expect(heard.args[0]).not.toBe(sent);
    w.command('sendFunction');
    expect((await w.next('cloneFailed')).name).toBe('DataCloneError');
    expect(got).toEqual([]);
  });

  test('sendSync on a channel nobody listens to warns like Electron, and never returns', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const electron = createElectronStandIn({ syncTimeoutMs: 300 });
      standIns.push(electron);
      const w = await openWindow(electron);
      w.command('rawSendSync', { channel: 'nobody', args: [] });
      // Electron would block forever; the stand-in gives up so the test can say so.
      expect((await w.next('rawSyncThrew')).error).toMatch(/got no returnValue within 300 ms/);
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/called ipcRenderer\.sendSync\(\) with 'nobody' channel without listeners/),
      );
    } finally {
      warn.mockRestore();
    }
  });
});

describe('Electron transports over the stand-in', () => {
  test('requestSync blocks the renderer until main replies, also when main replies later', async () => {
    const w = await openWindow();
    record(electronMainTransport(w.ipcMain, w.webContents), (message, reply) => {
      expect(reply).toBeInstanceOf(Function);
      if (message.later) setTimeout(() => reply!({ doubled: (message.x as number) * 2 }), 20);
      else reply!({ doubled: (message.x as number) * 2 });
    });
    w.command('open');
    await w.next('started');
    w.command('requestSync', { message: { x: 4 } });
    expect((await w.next('answer')).answer).toEqual({ doubled: 8 });
    w.command('requestSync', { message: { x: 5, later: true } });
    expect((await w.next('answer')).answer).toEqual({ doubled: 10 });
  });

  test('a main session that closes while a renderer waits in requestSync answers it with an error', async () => {
    const w = await openWindow();
    const main = electronMainTransport(w.ipcMain, w.webContents);
    record(main, () => main.close());
    w.command('open');
    await w.next('started');
    w.command('requestSync', { message: { x: 1 } });
    expect((await w.next('threw')).error).toBe(
      'the main process rejected a synchronous request: session closed',
    );
  });

  test('a destroyed webContents: the close error names it', async () => {
    const w = await openWindow();
    const seen = record(electronMainTransport(w.ipcMain, w.webContents));
    w.command('open');
    await w.next('started');
    await w.webContents.destroy();
    expect((await seen.closed)?.message).toBe(`webContents ${w.webContents.id} was destroyed`);
  });

  test('a renderer that dies closes the main transport with the reason and exit code', async () => {
    const w = await openWindow();
    const seen = record(electronMainTransport(w.ipcMain, w.webContents));
    w.command('open');
    await w.next('started');
    w.command('exit', { code: 7 });
    expect((await seen.closed)?.message).toBe(
      `the renderer process of webContents ${w.webContents.id} is gone (crashed, exit code 7)`,
    );
  });

  test('a renderer whose webContents has no main transport is refused at start, not left hanging', async () => {
    const other = await openWindow();
    const w = await openWindow(other.electron);
    record(electronMainTransport(other.ipcMain, other.webContents)); // the channel is served
    w.command('open');
    expect((await w.next('close')).error).toBe(
      'the main process refused the weakwire connection: the main process does not serve weakwire to this renderer',
    );
  });

  test('a renderer without sendSync works in async mode and has no requestSync', async () => {
    const w = await openWindow();
    const seen = record(electronMainTransport(w.ipcMain, w.webContents));
    w.command('open', { withoutSendSync: true });
    expect(await w.next('started')).toMatchObject({ hasRequestSync: false });
    w.command('send', { message: { hello: 'async' } });
    await until(() => seen.messages.length === 1, 'the message');
    expect(seen.messages).toEqual([{ hello: 'async' }]);
  });

  test('a renderer without sendSync learns of a refusal through a close message', async () => {
    const other = await openWindow();
    const w = await openWindow(other.electron);
    record(electronMainTransport(other.ipcMain, other.webContents)); // the channel is served
    w.command('open', { withoutSendSync: true });
    expect((await w.next('close')).error).toBe(
      'the main process refused the weakwire connection: the main process does not serve weakwire to this renderer',
    );
  });

  test('two windows: each main transport hears only its own renderer', async () => {
    const one = await openWindow();
    const two = await openWindow(one.electron);
    const first = record(electronMainTransport(one.ipcMain, one.webContents));
    const second = record(electronMainTransport(two.ipcMain, two.webContents));
    one.command('open');
    two.command('open');
    await Promise.all([one.next('started'), two.next('started')]);
    one.command('send', { message: { from: 'one' } });
    two.command('send', { message: { from: 'two' } });
    await until(() => first.messages.length === 1 && second.messages.length === 1, 'both');
    expect(first.messages).toEqual([{ from: 'one' }]);
    expect(second.messages).toEqual([{ from: 'two' }]);
  });

  describe('acceptElectronRenderers', () => {
    test('gives every connecting renderer its own main transport', async () => {
      const one = await openWindow();
      const two = await openWindow(one.electron);
      const accepted: Array<{ transport: Transport; webContents: unknown; messages: WireMessage[] }> = [];
      const stop = acceptElectronRenderers(one.ipcMain, (transport, webContents) => {
        accepted.push({ transport, webContents, messages: record(transport).messages });
      });
      one.command('open');
      two.command('open');
      await Promise.all([one.next('started'), two.next('started')]);
      expect(accepted.map((a) => a.webContents)).toEqual(
        expect.arrayContaining([one.webContents, two.webContents]),
      );
      const ofOne = accepted.find((a) => a.webContents === one.webContents)!;
      ofOne.transport.send({ op: 'echo', value: 'hi' });
      await until(() => ofOne.messages.length === 1, 'the echo');
      expect(ofOne.messages).toEqual([{ op: 'echoed', value: 'hi' }]);
      stop();
    });

    test('a reloaded page (a new renderer transport) closes the old session and gets a new one', async () => {
      const w = await openWindow();
      const sessions: Array<ReturnType<typeof record>> = [];
      const stop = acceptElectronRenderers(w.ipcMain, (transport) => sessions.push(record(transport)));
      w.command('open', { index: 0 });
      await w.next('started', 0);
      w.command('open', { index: 1 });
      await w.next('started', 1);
      expect((await sessions[0].closed)?.message).toBe(
        'the renderer page was reloaded or navigated away',
      );
      expect(sessions).toHaveLength(2);
      expect(sessions[1].closes).toEqual([]);
      stop();
    });

    test('a second acceptor on the same channel is refused; a throwing one refuses the renderer', async () => {
      const w = await openWindow();
      const stop = acceptElectronRenderers(w.ipcMain, () => {
        throw new Error('not today');
      });
      expect(() => acceptElectronRenderers(w.ipcMain, () => {})).toThrow(
        'acceptElectronRenderers: channel "weakwire" already has an acceptor; stop it first',
      );
      w.command('open');
      expect((await w.next('close')).error).toMatch(/refused the weakwire connection/);
      stop();
      const stopOther = acceptElectronRenderers(w.ipcMain, () => {}, { channel: 'other' });
      stopOther();
    });

    test('after stop(), new renderers are refused; open sessions stay open', async () => {
      const one = await openWindow();
      const sessions: Array<ReturnType<typeof record>> = [];
      const stop = acceptElectronRenderers(one.ipcMain, (transport) => sessions.push(record(transport)));
      one.command('open');
      await one.next('started');
      stop();
      const two = await openWindow(one.electron);
      two.command('open');
      expect((await two.next('close')).error).toMatch(/refused the weakwire connection/);
      one.command('send', { message: { still: 'open' } });
      await until(() => sessions[0].messages.length === 1, 'the message');
    });
  });

  test('a synchronous request nobody owns, or a malformed one, is answered with an error', async () => {
    const w = await openWindow();
    record(electronMainTransport(w.ipcMain, w.webContents));
    w.command('open');
    await w.next('started');
    w.command('rawSendSync', { channel: 'weakwire', args: [{ k: 'sync', n: '0'.repeat(32), m: {} }] });
    expect((await w.next('rawSync')).value).toEqual({
      k: 'error',
      e: 'no weakwire session for this renderer: it was closed',
    });
    w.command('rawSendSync', { channel: 'weakwire', args: [{ k: 'sync' }] });
    expect((await w.next('rawSync')).value).toEqual({ k: 'error', e: 'malformed weakwire envelope' });
  });

  /** A main transport on a hand-made ipcMain and webContents (id `id`), for events the stand-in cannot make. */
  function handMadePage(id: number) {
    const ipcMain = new EventEmitter();
    const webContents = Object.assign(new EventEmitter(), { id, send: () => {}, isDestroyed: () => false });
    return { ipcMain, webContents, seen: record(electronMainTransport(ipcMain, webContents)) };
  }

  test('an open from a subframe is refused (webContents.send only reaches the main frame)', () => {
    // Hand-made events: the stand-in has no subframes.
    const { ipcMain, webContents, seen } = handMadePage(99);
    const event = { sender: webContents, senderFrame: { parent: {} }, returnValue: undefined };
    ipcMain.emit('weakwire', event, { k: 'open', n: 'a'.repeat(32) });
    expect(event.returnValue).toEqual({
      k: 'error',
      e: 'weakwire serves the main frame of a page, not subframes',
    });
    const mainFrame = { sender: webContents, senderFrame: { parent: null }, returnValue: undefined };
    ipcMain.emit('weakwire', mainFrame, { k: 'open', n: 'b'.repeat(32) });
    expect(mainFrame.returnValue).toEqual({ k: 'ok' });
    expect(seen.closes).toEqual([]);
  });

  test('an open from a frame that is already gone (senderFrame null) is refused and leaves the page its session', () => {
    // Electron gives senderFrame null when the frame navigated or was destroyed before main read
    // the message: a subframe that sends 'open' and navigates away at once looked like the main
    // frame, closed the page's session and bound one of its own.
    const { ipcMain, webContents, seen } = handMadePage(98);
    const mainFrame = { sender: webContents, senderFrame: { parent: null }, returnValue: undefined };
    ipcMain.emit('weakwire', mainFrame, { k: 'open', n: 'b'.repeat(32) });
    expect(mainFrame.returnValue).toEqual({ k: 'ok' });
    const gone = { sender: webContents, senderFrame: null, returnValue: undefined };
    ipcMain.emit('weakwire', gone, { k: 'open', n: 'c'.repeat(32) });
    expect(seen.closes).toEqual([]);
    expect(gone.returnValue).toEqual({ k: 'error', e: 'the frame that sent the open is gone (it navigated or was destroyed)' });
  });

  describe('bad input', () => {
    test('TypeErrors name the argument', () => {
      const ipcMain = new EventEmitter();
      expect(() => electronMainTransport({} as never, {} as never)).toThrow(
        new TypeError('ipcMain must be an object with on, removeListener methods'),
      );
      expect(() => electronMainTransport(ipcMain, {} as never)).toThrow(/^webContents must be/);
      expect(() => electronRendererTransport(null as never)).toThrow(/^ipcRenderer must be/);
      expect(() => acceptElectronRenderers(ipcMain, 'x' as never)).toThrow(
        new TypeError('onTransport must be a function'),
      );
      const ipcRenderer = { send() {}, on() {}, removeListener() {} };
      expect(() => electronRendererTransport(ipcRenderer, { channel: '' })).toThrow(
        new TypeError('options.channel must be a non-empty string'),
      );
    });
  });
});
