/**
 * Answers kept for promise pipelining, on the side that answered.
 *
 * A request sent with `keep` leaves its result here, so that requests the asker sends before it
 * has the answer can name it (`on: seq`): `fs.open(p).read()` is one round trip. A result that is
 * a promise is kept until it settles, with what it settles to, and requests on it wait for that.
 * The entry holds the result strongly until the asker finishes it (a `free` message lists the
 * answer in `a`): the asker sends that only after every request that names it, and the channel
 * keeps order, so a pipelined request never finds its target freed. Entries and waiting requests
 * are bounded by `maxPendingCalls`; a session that closes drops them all.
 */
import { Array, Map, Promise } from './builtins';
import { types } from './platform';
import { RemoteError } from './errors';
import { pending } from './remote_promise';

interface Kept {
  settled: boolean;
  ok: boolean;
  value: unknown;
  /** Requests that arrived before the result settled, in arrival order. */
  waiting: Array<() => void> | undefined;
  /** Finished while requests waited: dropped once they ran. */
  finished: boolean;
}

export class AnswerTable {
  private readonly kept = new Map<number, Kept>();
  private waitingCount = 0;

  constructor(private readonly max: number) {}

  /** Whether one more answer may be kept. */
  hasRoom(): boolean {
    return this.kept.size < this.max;
  }

  /** Throws ERR_REMOTE_BUSY when no more answers may be kept. */
  assertRoom(): void {
    if (!this.hasRoom()) {
      throw new RemoteError(
        'ERR_REMOTE_BUSY',
        `Refused to keep an answer for pipelining: ${this.max} are kept already (maxPendingCalls)`,
      );
    }
  }

  /** Keeps the outcome of request `seq`: a value, a thrown error, or a promise kept until it settles. */
  keep(seq: number, ok: boolean, value: unknown): void {
    const entry: Kept = { settled: true, ok, value, waiting: undefined, finished: false };
    this.kept.set(seq, entry);
    // Our own served code's promise (never a peer's thenable: its `then` would run here).
    if (ok && types.isPromise(value)) {
      entry.settled = false;
      entry.value = undefined;
      const settle = (settledOk: boolean, settled: unknown): void => {
        entry.settled = true;
        entry.ok = settledOk;
        entry.value = settled;
        const waiting = entry.waiting;
        entry.waiting = undefined;
        if (waiting === undefined) return;
        this.waitingCount -= waiting.length;
        for (const run of waiting) run();
        if (entry.finished && this.kept.get(seq) === entry) this.kept.delete(seq);
      };
      (value as Promise<unknown>).then(
        (v) => settle(true, v),
        (e) => settle(false, e),
      );
    }
  }

  /**
   * Runs `use(value)` once answer `seq` settled, or `fail(error)`: for a rejected answer, an
   * unknown or finished one, or when too many requests wait already.
   */
  whenSettled(seq: number, use: (value: unknown) => void, fail: (error: unknown) => void): void {
    const entry = this.kept.get(seq);
    if (entry === undefined) {
      fail(new RemoteError('ERR_REMOTE_PROTOCOL', `Unknown or finished answer ${seq}: it was not kept for pipelining`));
      return;
    }
    const run = (): void => {
      if (entry.ok) use(entry.value);
      else fail(entry.value);
    };
    if (entry.settled) {
      run();
      return;
    }
    if (this.waitingCount >= this.max) {
      fail(
        new RemoteError(
          'ERR_REMOTE_BUSY',
          `${this.max} pipelined requests already wait for their answers to settle (maxPendingCalls)`,
        ),
      );
      return;
    }
    (entry.waiting ??= []).push(run);
    this.waitingCount++;
  }

  /**
   * Answer `seq` as a value to hand over: the settled value, or a promise of it while it is
   * pending. Throws for an unknown or finished answer, and the error of a rejected one.
   */
  valueOf(seq: number): unknown {
    const entry = this.kept.get(seq);
    if (entry === undefined) {
      throw new RemoteError('ERR_REMOTE_PROTOCOL', `Unknown or finished answer ${seq}: it was not kept for pipelining`);
    }
    if (entry.settled) {
      if (entry.ok) return entry.value;
      throw entry.value;
    }
    // The served code may ignore it: its failure is handled, as a promise of the peer's is.
    const promise = pending();
    this.whenSettled(
      seq,
      (value) => promise.settle(value),
      (error) => promise.fail(error),
    );
    return promise;
  }

  /** Whether answer `seq` is kept and not settled yet (a request on it would have to wait). */
  isPending(seq: number): boolean {
    const entry = this.kept.get(seq);
    return entry !== undefined && !entry.settled;
  }

  /** The asker no longer pipelines on `seq`. Requests already waiting on it still run. */
  finish(seq: number): void {
    const entry = this.kept.get(seq);
    if (entry === undefined) return;
    if (entry.waiting === undefined) {
      this.kept.delete(seq);
      return;
    }
    // Waiting requests still need it: drop it once they ran. A flag, not a task in their list:
    // the peer may finish it any number of times, and each task would count as one that left.
    entry.finished = true;
  }

  /** Session over: every kept answer and waiting request is dropped. */
  clear(): void {
    this.kept.clear();
    this.waitingCount = 0;
  }

  get size(): number {
    return this.kept.size;
  }
}
