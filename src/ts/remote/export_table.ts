/**
 * The objects one session has sent by reference, with how many times each was sent.
 *
 * Counting rule: every send adds one; the peer answers with FREE(id, receipts) once its proxy is
 * gone, and the entry is dropped when the count reaches zero. A reference still in flight keeps
 * the count above zero, so the object cannot be dropped under it.
 */
import { Map } from './builtins';
interface Entry {
  readonly value: object;
  count: number;
}

export class ExportTable {
  private readonly ids = new Map<object, number>();
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  private outstanding = 0;

  /** Counts one send of `value` and returns its id (stable while the count is above zero). */
  send(value: object): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(value, id);
      this.entries.set(id, { value, count: 0 });
    }
    (this.entries.get(id) as Entry).count++;
    this.outstanding++;
    return id;
  }

  lookup(id: number): object | undefined {
    return this.entries.get(id)?.value;
  }

  /**
   * Subtracts `count` receipts. Unknown ids and counts above what was sent are ignored: an honest
   * peer never sends them, and ignoring them cannot free an object still in use.
   */
  free(id: number, count: number): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined || count > entry.count) return false;
    entry.count -= count;
    this.outstanding -= count;
    if (entry.count === 0) {
      this.entries.delete(id);
      this.ids.delete(entry.value);
    }
    return true;
  }

  /** Takes back sends of a message that never left (it failed to encode or to send). */
  unsend(ids: readonly number[]): void {
    for (const id of ids) this.free(id, 1);
  }

  clear(): void {
    this.ids.clear();
    this.entries.clear();
    this.outstanding = 0;
  }

  /** Live entries. */
  get size(): number {
    return this.entries.size;
  }

  /** Sum of outstanding counts. */
  get references(): number {
    return this.outstanding;
  }
}
