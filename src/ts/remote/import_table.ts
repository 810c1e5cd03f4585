/**
 * The proxies one session holds for objects the peer exported.
 *
 * Each live proxy has a record counting the receipts of its id, cache hits included. When the
 * proxy is collected (setDestructor) or released, FREE(id, count) is queued; queued FREEs leave
 * in batches. A new receipt after the old proxy died starts a new record and a new proxy, so a
 * late FREE for the old one never covers the new receipt.
 */
import { IDWeakMap } from '../id_weak_map';
import { setDestructor } from '../weak_handle';

export interface ImportRecord {
  readonly id: number;
  count: number;
  released: boolean;
  cancel: (() => boolean) | undefined;
}

/** Flush as soon as this many ids wait, rather than at the end of the turn (a FREE of 4,096
 * entries is about 60 KB of JSON, far below any frame cap). */
const BATCH_LIMIT = 4096;

export class ImportTable {
  private readonly proxies = new IDWeakMap<number, object>();
  private readonly records = new Map<number, ImportRecord>();
  private pending = new Map<number, number>();
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  created = 0;
  freeMessages = 0;

  /** `sendFree` delivers one batch; it returns false when the session can no longer send. */
  constructor(private readonly sendFree: (entries: Array<[number, number]>) => void) {}

  /** The proxy for `id`, counting this receipt; `make` builds a new one when none is alive. */
  receive(id: number, make: (record: ImportRecord) => object): object {
    const live = this.proxies.get(id);
    if (live !== undefined) {
      const record = this.records.get(id) as ImportRecord;
      record.count++;
      return live;
    }
    const record: ImportRecord = { id, count: 1, released: false, cancel: undefined };
    const proxy = make(record);
    this.proxies.set(id, proxy);
    this.records.set(id, record);
    record.cancel = setDestructor(proxy, this.collected, record);
    this.created++;
    return proxy;
  }

  /** Explicit release: frees now instead of at collection. False if it was already released. */
  release(record: ImportRecord): boolean {
    if (record.released || this.closed) return false;
    record.cancel?.();
    this.drop(record);
    return true;
  }

  private readonly collected = (record: ImportRecord): void => {
    if (!record.released && !this.closed) this.drop(record);
  };

  private drop(record: ImportRecord): void {
    record.released = true;
    record.cancel = undefined;
    if (this.records.get(record.id) === record) {
      this.records.delete(record.id);
      this.proxies.delete(record.id);
    }
    this.pending.set(record.id, (this.pending.get(record.id) ?? 0) + record.count);
    if (this.pending.size >= BATCH_LIMIT) this.flush();
    else this.scheduled ??= setImmediate(this.flush);
  }

  /** Sends every queued FREE in one message. */
  readonly flush = (): void => {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.size === 0 || this.closed) return;
    const entries = [...this.pending];
    this.pending = new Map();
    this.freeMessages++;
    this.sendFree(entries);
  };

  /** Session over: nothing is freed any more (the peer dropped everything), proxies are dead. */
  close(): void {
    this.closed = true;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const record of this.records.values()) {
      record.released = true;
      record.cancel?.();
      record.cancel = undefined;
    }
    this.records.clear();
    this.proxies.clear();
    this.pending.clear();
  }

  get liveProxies(): number {
    return this.proxies.size;
  }

  get pendingFrees(): number {
    return this.pending.size;
  }
}
