/**
 * The fuzz target's host (test/fixtures/remote/fuzz_host.js), in a worker thread or a child
 * process, driven by commands: the server runs there, outside jest's sandbox, so its timings and
 * its process events are the real ones.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { Probe } from '../peer';

const COMMAND_TIMEOUT_MS = 30_000;
const HOST = join(__dirname, '..', '..', '..', 'fixtures', 'remote', 'fuzz_host.js');

export class Host {
  private readonly waiting = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();
  private next = 1;
  private gone: Error | undefined;

  private constructor(
    private readonly post: (command: object, transferList?: TransferListItem[]) => void,
    private readonly stop: () => Promise<void>,
  ) {}

  /** A host in a worker thread. */
  static async worker(): Promise<Host> {
    const control = new MessageChannel();
    const worker = new Worker(HOST, {
      workerData: { control: control.port2 },
      transferList: [control.port2],
      // A server that runs away with memory ends its own thread (a failed batch with a seed to
      // replay), not the test process.
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    const port: MessagePort = control.port1;
    const host = new Host(
      (command, transferList) => port.postMessage(command, transferList),
      async () => {
        await worker.terminate();
        port.close();
      },
    );
    // A host that cannot start (dist/ missing or being rebuilt) fails the run instead of hanging it.
    const ready = new Promise<void>((resolve, reject) => {
      port.once('message', () => resolve());
      worker.once('exit', (code) => reject(new Error(`the host worker exited with code ${code} before it was ready`)));
      worker.once('error', (error) => reject(new Error(`the host worker failed to start: ${error.stack}`)));
    });
    port.on('message', (message) => host.onReply(message));
    worker.on('exit', (code) => host.lost(`the host worker exited with code ${code}`));
    worker.on('error', (error) => host.lost(`the host worker failed: ${error.stack}`));
    await ready;
    return host;
  }

  /** A host in a child process, whose IPC channel (structured clone) is also the transport. */
  static async child(): Promise<{ host: Host; child: ChildProcess }> {
    const child = fork(HOST, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const host = new Host(
      (command) => child.send({ fuzz: command }),
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      },
    );
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: any) => {
        if (message?.fuzz?.ready) resolve();
        else if (message?.fuzz) host.onReply(message.fuzz);
      });
      child.once('exit', (code, signal) => reject(new Error(`the host process exited (${signal ?? code}) before it was ready`)));
    });
    child.on('exit', (code, signal) => host.lost(`the host process exited (${signal ?? code})`));
    await ready;
    return { host, child };
  }

  /** Runs a command; a host that does not answer within 30 s counts as stuck. */
  run<T = unknown>(run: string, args: object = {}, transferList?: TransferListItem[]): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`fuzz host: no answer to ${run} within ${COMMAND_TIMEOUT_MS} ms: the server is stuck`));
      }, COMMAND_TIMEOUT_MS);
      const settle = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
        clearTimeout(timer);
        fn(...args);
      };
      this.waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
      this.post({ id, run, ...args }, transferList);
    });
  }

  probe(): Promise<Probe> {
    return this.run<Probe>('probe');
  }

  async reset(): Promise<void> {
    await this.run('reset');
  }

  /** Resolves once the server's pending immediates, and what they started, have run. */
  async idle(): Promise<void> {
    await this.run('idle');
  }

  dispose(): Promise<void> {
    return this.stop();
  }

  private onReply(message: any): void {
    const waiter = this.waiting.get(message?.id);
    if (waiter === undefined) return;
    this.waiting.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`fuzz host: ${message.error}`));
  }

  private lost(why: string): void {
    this.gone = new Error(why);
    for (const waiter of this.waiting.values()) waiter.reject(this.gone);
    this.waiting.clear();
  }
}
