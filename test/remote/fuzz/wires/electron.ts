/**
 * A hostile page in a stand-in Electron renderer (test/fixtures/remote/fuzz_renderer_peer.js):
 * Electron envelopes on the 'weakwire' channel written by hand, synchronous requests through
 * sendSync, junk envelopes; main (the host thread) serves every page that opens.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { SyncOutcome } from '../peer';
import { Host } from './host';
import { HostedWire } from './hosted_wire';
import { post } from './message_port';

const ELECTRON_JUNK: readonly unknown[] = [
  { k: 'msg', n: '<nonce>', m: 5 },
  { k: 'msg', n: '<nonce>' },
  { k: 'bogus', n: '<nonce>', m: {} },
  { k: 'msg', n: 'not-a-nonce', m: { op: 'get' } },
  { k: 'sync', n: 'f'.repeat(32), m: {} },
  'text',
  null,
];

export class ElectronWire extends HostedWire {
  readonly name = 'electron';
  readonly json = false;
  readonly syncRequests = true;
  readonly junkKinds = ELECTRON_JUNK.length;
  /** The hostile page's command port. */
  private port: MessagePort | undefined;
  private onServerMessage: (message: unknown) => void = () => {};
  private readonly waiting = new Map<number, (returnValue: unknown) => void>();
  private next = 1;

  protected async startHost(): Promise<Host> {
    const host = await Host.worker();
    const channel = new MessageChannel();
    this.port = channel.port1;
    const ready = new Promise<void>((resolve) => {
      channel.port1.on('message', (message: any) => {
        if (message?.ready) resolve();
        else if (typeof message?.id === 'number') {
          this.waiting.get(message.id)?.(message.returnValue);
          this.waiting.delete(message.id);
        } else if ('message' in message) this.onServerMessage(message.message);
      });
    });
    await host.run('serve', { kind: 'electron', port: channel.port2 }, [channel.port2]);
    await ready;
    return host;
  }

  protected async connect(_host: Host, onMessage: (message: unknown) => void): Promise<void> {
    this.onServerMessage = onMessage;
    // A new page load: main closes the previous page's session, if any.
    const opened = (await this.command('open')) as { k?: string };
    if (opened?.k !== 'ok') throw new Error(`the main process refused the page: ${JSON.stringify(opened)}`);
  }

  /** The page stays; the next open() replaces its session. */
  protected disconnect(): void {}

  send(message: unknown): boolean {
    return post(this.port, { run: 'send', message });
  }

  junk(kind: number): void {
    post(this.port, { run: 'junk', value: ELECTRON_JUNK[kind] });
  }

  override async requestSync(message: unknown): Promise<SyncOutcome> {
    const returnValue = (await this.command('sync', { message })) as { k?: string; m?: unknown; e?: string };
    if (returnValue?.k === 'reply') return { answer: returnValue.m };
    return { refused: returnValue?.e ?? JSON.stringify(returnValue) };
  }

  /** The renderer transport's own goodbye: the session ends without the protocol's. */
  override async close(): Promise<void> {
    post(this.port, { run: 'close' });
  }

  override async restart(): Promise<void> {
    this.port?.close();
    this.port = undefined;
    await super.restart();
  }

  /** A command the page answers (open, sync); one it does not answer within 30 s fails. */
  private command(run: string, args: object = {}): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the page did not answer ${run} within 30 s: main is stuck`));
      }, 30_000);
      this.waiting.set(id, (returnValue) => {
        clearTimeout(timer);
        resolve(returnValue);
      });
      this.port!.postMessage({ id, run, ...args });
    });
  }
}
