/**
 * What every wire shares: the fuzz target's host, started on first use and thrown away after a
 * failure (the next session starts on a fresh server), and the probes that go to it. A wire adds
 * how it connects a session and how it writes messages and junk.
 */
import type { Probe, SyncOutcome, Wire } from '../peer';
import type { Host } from './host';

export abstract class HostedWire implements Wire {
  abstract readonly name: string;
  abstract readonly json: boolean;
  abstract readonly syncRequests: boolean;
  abstract readonly junkKinds: number;
  private host: Host | undefined;

  /** Starts a host for this wire's transport. */
  protected abstract startHost(): Promise<Host>;
  /** Connects a new session through `host`; every message from the server goes to `onMessage`. */
  protected abstract connect(host: Host, onMessage: (message: unknown) => void): Promise<void>;
  /** Drops this side's end of the current session, if there is one. */
  protected abstract disconnect(): void;
  abstract send(message: unknown): boolean;
  abstract junk(kind: number): void;

  requestSync(_message: unknown): Promise<SyncOutcome> {
    return Promise.reject(new Error(`${this.name} has no synchronous requests`));
  }

  async open(onMessage: (message: unknown) => void): Promise<void> {
    this.host ??= await this.startHost();
    this.disconnect();
    await this.connect(this.host, onMessage);
  }

  reset(): Promise<void> {
    return this.started().reset();
  }

  idle(): Promise<void> {
    return this.started().idle();
  }

  probe(): Promise<Probe> {
    return this.started().probe();
  }

  /** Goes away: by default, drops the connection without a word. */
  async close(): Promise<void> {
    this.disconnect();
  }

  async restart(): Promise<void> {
    this.disconnect();
    const host = this.host;
    this.host = undefined;
    await host?.dispose();
  }

  dispose(): Promise<void> {
    return this.restart();
  }

  private started(): Host {
    if (this.host === undefined) throw new Error(`${this.name}: no session is open`);
    return this.host;
  }
}
