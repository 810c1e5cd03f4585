/**
 * The proxies one session holds for objects the peer exported.
 *
 * Each live proxy has a record counting the receipts of its id, cache hits included. When the
 * proxy is collected (setDestructor) or released, FREE(id, count) is queued; queued FREEs leave
 * in batches. A new receipt after the old proxy died starts a new record and a new proxy, so a
 * late FREE for the old one never covers the new receipt. The collection of a released proxy is
 * not cancelled but ignored (its record says released): a cancel function per proxy would cost
 * more heap than the rest of its record. Closing cancels all of the session's at once.
 */
import { Array, Map, Promise, clearTimeout, setTimeout } from './builtins';
import { clearImmediate, setImmediate, type Immediate } from './platform';
// Through the backend module: the native addon in Node.js, the portable backend in browser builds.
// Loaded with the first session, not with the package: loading the addon is most of the time
// `require('weakwire/remote')` would otherwise take.
import type * as Backend from '../backend';
import { WIRE_LIMITS } from './limits';

let backend: typeof Backend | undefined;

const settled = Promise.resolve();

/**
 * Microtasks a finish waits for a request to take it before its FREE is scheduled: an awaited
 * call settles its promise, which resolves the `await` (one hop) that resumes the caller
 * (another), whose next call takes the finish. So a loop of awaited calls arms nothing per call.
 */
const FINISH_HOPS = 3;

/**
 * How long finishes then wait for a request to ride on before they leave alone in a FREE. Not the
 * next turn, as FREEs of proxies do: a loop of awaited calls with other I/O between them (a turn
 * or more) would send a small FREE frame per call, a write and a wake-up of the peer each; on a
 * TCP socket under BBR, those small segments also push the connection toward pacing its large
 * frames (bench/NOTES.md, tcp15). The peer keeps the finished answers that much longer, at most
 * `freeBatch` of them.
 */
const FINISH_DELAY_MS = 10;

function loadBackend(): typeof Backend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (backend ??= require('../backend') as typeof Backend);
}

export interface ImportRecord {
  readonly id: number;
  count: number;
  released: boolean;
}

export class ImportTable {
  private readonly proxies: Backend.IDWeakMap<number, object> = new (loadBackend().IDWeakMap)<number, object>();
  private readonly records = new Map<number, ImportRecord>();
  private pending = new Map<number, number>();
  /** Answers of the peer we pipelined on and no longer need (see AnswerTable), to finish. */
  private finished: number[] = [];
  private scheduled: Immediate | undefined;
  /** Microtasks the finishes have waited so far, or -1 when they do not wait (see `finish`). */
  private hops = -1;
  /** Set while only finishes wait: they leave after FINISH_DELAY_MS unless a request takes them. */
  private finishTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  created = 0;
  /** Registrations of ours whose collection has not been reported yet (what close() cancels). */
  private watching = 0;
  freeMessages = 0;

  /** `sendFree` delivers one batch of FREEs and of finished answers. */
  constructor(private readonly sendFree: (entries: Array<[number, number]>, finished: number[]) => void) {}

  /** The proxy for `id`, counting this receipt; `make` builds a new one when none is alive. */
  receive(id: number, make: (record: ImportRecord) => object): object {
    const live = this.proxies.get(id);
    if (live !== undefined) {
      const record = this.records.get(id) as ImportRecord;
      record.count++;
      return live;
    }
    const record: ImportRecord = { id, count: 1, released: false };
    const proxy = make(record);
    this.proxies.set(id, proxy);
    this.records.set(id, record);
    loadBackend().watchCollection(proxy, this.collected, record);
    this.watching++;
    this.created++;
    return proxy;
  }

  /**
   * Takes back one receipt of `id` counted by a message that was then dropped before anything
   * used it. A proxy that the message itself created goes away again; its receipts are given
   * back by `giveBack`, not by a FREE of its own.
   */
  unreceive(id: number): void {
    const record = this.records.get(id);
    if (record === undefined) return;
    record.count--;
    if (record.count > 0) return;
    record.released = true;
    this.records.delete(id);
    this.proxies.delete(id);
  }

  /** Queues FREEs for receipts that never became proxies (dropped or refused messages). */
  giveBack(counts: ReadonlyMap<number, number>): void {
    if (this.closed) return;
    for (const [id, count] of counts) this.queue(id, count);
  }

  /** Explicit release: frees now instead of at collection. False if it was already released. */
  release(record: ImportRecord): boolean {
    if (record.released || this.closed) return false;
    this.drop(record);
    return true;
  }

  private readonly collected = (record: ImportRecord): void => {
    this.watching--;
    if (!record.released && !this.closed) this.drop(record);
  };

  private drop(record: ImportRecord): void {
    record.released = true;
    if (this.records.get(record.id) === record) {
      this.records.delete(record.id);
      this.proxies.delete(record.id);
    }
    this.queue(record.id, record.count);
  }

  private queue(id: number, count: number): void {
    this.pending.set(id, (this.pending.get(id) ?? 0) + count);
    this.schedule();
  }

  /**
   * Queues the finish of the peer's answer `seq`: it leaves with our next request, or with the
   * next FREE batch. While only finishes wait, that batch waits a few microtasks (in a loop of
   * awaited calls the next call takes them, and nothing is armed per call), then FINISH_DELAY_MS
   * for a request to ride on.
   */
  finish(seq: number): void {
    if (this.closed) return;
    this.finished.push(seq);
    if (this.pending.size + this.finished.length >= WIRE_LIMITS.freeBatch) this.flush();
    else if (this.scheduled === undefined && this.finishTimer === undefined && this.hops < 0) {
      this.hops = 0;
      settled.then(this.waitForRequest);
    }
  }

  /** Each microtask hop of finishes waiting for a request; then their timer (see `finish`). */
  private readonly waitForRequest = (): void => {
    if (this.finished.length === 0 || this.scheduled !== undefined || this.finishTimer !== undefined || this.closed) {
      this.hops = -1;
      return;
    }
    if (++this.hops < FINISH_HOPS) {
      settled.then(this.waitForRequest);
      return;
    }
    this.hops = -1;
    this.finishTimer = setTimeout(this.flush, FINISH_DELAY_MS);
    this.finishTimer.unref?.();
  };

  /** The finishes waiting to leave (they ride on a request), or undefined when none wait. */
  takeFinished(): number[] | undefined {
    if (this.finished.length === 0) return undefined;
    const finished = this.finished;
    this.finished = [];
    // Nothing else waits for the FREE batch: its turn would find nothing to send, and a pending
    // immediate keeps the event loop from blocking in its poll (one more loop turn per call).
    if (this.pending.size === 0 && this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    this.cancelFinishTimer();
    return finished;
  }

  private schedule(): void {
    if (this.pending.size + this.finished.length >= WIRE_LIMITS.freeBatch) this.flush();
    else this.scheduled ??= setImmediate(this.flush);
  }

  private cancelFinishTimer(): void {
    if (this.finishTimer === undefined) return;
    clearTimeout(this.finishTimer);
    this.finishTimer = undefined;
  }

  /** Sends every queued FREE in one message. */
  readonly flush = (): void => {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.cancelFinishTimer();
    if ((this.pending.size === 0 && this.finished.length === 0) || this.closed) return;
    const entries = [...this.pending];
    const finished = this.finished;
    this.pending = new Map();
    this.finished = [];
    this.freeMessages++;
    this.sendFree(entries, finished);
  };

  /** Session over: nothing is freed any more (the peer dropped everything), proxies are dead. */
  close(): void {
    this.closed = true;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.cancelFinishTimer();
    for (const record of this.records.values()) record.released = true;
    // The scan covers every registration of the thread: skipped when none of ours is left (a
    // session that never imported, or whose proxies all died, closes in O(1)).
    if (this.watching > 0) loadBackend().cancelWatches(this.collected);
    this.watching = 0;
    this.records.clear();
    this.proxies.clear();
    this.pending.clear();
    this.finished = [];
  }

  get liveProxies(): number {
    return this.proxies.size;
  }

  get pendingFrees(): number {
    return this.pending.size + this.finished.length;
  }
}
