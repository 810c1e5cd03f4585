/**
 * Promises crossing the session. Ours going out get an id and a `settle` message when they
 * settle; the peer's coming in become local promises that its `settle` resolves. Incoming ones
 * are bounded (`maxPendingCalls`), and a session that closes rejects all of them.
 */
import { Map, Promise, WeakMap } from './builtins';
import { protocolError, RemoteError } from './errors';
import { pending, type RemotePromise } from './remote_promise';

export class PromiseTable {
  private nextId = 1;
  private readonly inbound = new Map<number, RemotePromise>();
  /** The id of each unsettled promise of the peer, by the local promise that stands for it. */
  private readonly ids = new WeakMap<object, number>();

  constructor(private readonly maxPending: number) {}

  /**
   * Gives `promise` an id; `settled(id, ok, value)` is called once it settles (the caller sends
   * the `settle` message).
   */
  export(promise: Promise<unknown>, settled: (id: number, ok: boolean, value: unknown) => void): number {
    const id = this.nextId++;
    promise.then(
      (value) => settled(id, true, value),
      (error) => settled(id, false, error),
    );
    return id;
  }

  /** A local promise for the peer's promise `id`; refused past the bound or for a reused id. */
  import(id: number): Promise<unknown> {
    if (this.inbound.has(id)) throw protocolError(`Duplicate promise id ${id}`);
    if (this.inbound.size >= this.maxPending) {
      throw new RemoteError(
        'ERR_REMOTE_BUSY',
        `Refused a promise: ${this.maxPending} promises of the peer are already unsettled (maxPendingCalls)`,
      );
    }
    // The peer's promises are values: a rejection nobody here awaited was the peer's to report.
    const promise = pending();
    this.inbound.set(id, promise);
    this.ids.set(promise, id);
    return promise;
  }

  /** Whether `value` stands for a promise of the peer that has not settled yet. */
  isUnsettled(value: unknown): value is RemotePromise {
    return typeof value === 'object' && value !== null && this.ids.has(value);
  }

  /**
   * Stops waiting for the peer's promise that `promise` stands for (its caller gave up): it takes
   * no place under the bound any longer, and a late `settle` for it is dropped like an unknown one.
   */
  abandon(promise: Promise<unknown>): void {
    const id = this.ids.get(promise);
    if (id === undefined) return;
    this.ids.delete(promise);
    this.inbound.delete(id);
  }

  /**
   * Settles promise `id` with what `decode()` returns (a decoding failure rejects it). False if
   * no such promise is waiting.
   */
  settle(id: number, ok: boolean, decode: () => unknown): boolean {
    const promise = this.inbound.get(id);
    if (promise === undefined) return false;
    this.inbound.delete(id);
    this.ids.delete(promise);
    let value: unknown;
    try {
      value = decode();
    } catch (error) {
      promise.fail(error);
      return true;
    }
    if (ok) promise.settle(value);
    else promise.fail(value);
    return true;
  }

  /** Forgets promises announced by a message that was dropped: nobody will ever see them. */
  forget(ids: readonly number[]): void {
    for (const id of ids) this.inbound.delete(id);
  }

  /** Session over: every waiting promise rejects with `error`. */
  rejectAll(error: RemoteError): void {
    const waiting = [...this.inbound.values()];
    this.inbound.clear();
    for (const promise of waiting) promise.fail(error);
  }

  get pending(): number {
    return this.inbound.size;
  }
}
