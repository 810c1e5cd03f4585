import { binding, type NativeBinding } from './binding';

/** Callback run after a target was collected; receives the `held` value given at registration. */
export type Destructor<H> = (held: H) => void;

// Registrations live in pages of PAGE_SIZE slots. A page is allocated once and never grows, so
// registering never copies an array, and the unused part of the storage is at most one page.
const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

// Each slot has one int32 word. A live registration's word is
//   generation << GENERATION_SHIFT | kind << KIND_SHIFT | LIVE
// and a free slot's word is 0.
const LIVE = 1;
const KIND_SHIFT = 1;
const KIND_MASK = 3;
const GENERATION_SHIFT = 3;
// A registration's generation is the count of registrations so far, modulo 2^28: the native side
// counts the same way (see src/native/weak_handle.h), so track() needs to return nothing. Below
// 2^28, a word is a non-negative int32.
const GENERATION_MASK = (1 << 28) - 1;
// Slots stay small integers, and below what the native side can carry in a finalizer's data.
const SLOT_LIMIT = Math.min(2 ** 30, binding.slotLimit);

// Where a live registration keeps its callback and held value, in one value slot where it can:
// most registrations of a page share one callback (a cache's or a registry's), and a closure
// registered without a held value needs no second slot.
const KIND_SHARED = 0; // callback: page.shared; held: page.values
const KIND_CALLBACK = 1; // callback: page.values; held: undefined
const KIND_BOTH = 2; // callback: page.callbacks; held: page.values

// Placeholders that keep every field of a Page and of the table at one type from the start:
// a field that changes type later (undefined, then an array) deoptimizes the code using it.
const NO_CALLBACKS: Array<Destructor<unknown> | undefined> = [];
const NO_CALLBACK: Destructor<unknown> = () => {};
const NO_BATCH: Uint32Array = new Uint32Array(0);

class Page {
  readonly values: unknown[] = new Array(PAGE_SIZE);
  readonly words = new Int32Array(PAGE_SIZE);
  /** Callbacks of KIND_BOTH registrations: a real array from the first one on. */
  callbacks = NO_CALLBACKS;
  /** The callback of this page's KIND_SHARED registrations, while it has any. */
  shared = NO_CALLBACK;
  sharedCount = 0;
  /**
   * One bit per slot, set while the slot is free. Free slots are taken lowest first, so a run of
   * registrations writes neighbouring words and values, whatever order the previous ones died in.
   */
  readonly free = new Int32Array(PAGE_SIZE >>> 5).fill(-1);
  freeCount = PAGE_SIZE;
  /** No bitmap word below this one has a free bit. */
  scan = 0;
  /** Whether the page is on the table's stack of pages with free slots. */
  listed = false;

  /** @param base the slot of the page's first entry */
  constructor(readonly base: number) {}
}

// The page to allocate from before there is any.
const FULL_PAGE = new Page(0);
FULL_PAGE.freeCount = 0;

/**
 * Every registration of this environment, by slot. JavaScript owns them: `register` picks a slot
 * and asks the native side to attach a finalizer carrying the slot and a new generation; `cancel`
 * is plain JavaScript; `dispatch` receives the pairs of dead targets in batches and runs each
 * whose slot still holds that generation. A pair whose slot was cancelled, reused or already run
 * is stale and skipped, so a cancel function or a finalizer left over from an earlier use of a
 * slot never touches a newer registration.
 *
 * The table is stored on the binding so that every copy of this module in one environment shares
 * it (the native queue is per environment, not per copy).
 */
class DestructorTable {
  private readonly pages: Page[] = [];
  /** The page registrations take slots from, until it is full. */
  private current = FULL_PAGE;
  /** Other pages that have free slots (some may have filled up again since: skipped then). */
  private readonly partial: Page[] = [];
  /** The generation of the last registration. */
  private generation = 0;
  /** Registrations whose callback has neither run nor been cancelled. */
  private live = 0;
  /** The batch being dispatched and how far it got, so stats() can count what it has not run. */
  private batch = NO_BATCH;
  private cursor = 0;
  private readonly track: NativeBinding['track'];

  constructor(native: NativeBinding) {
    this.track = native.track;
    native.setDispatcher(this.dispatch);
  }

  /** Registers a destructor; `target` is checked by the native side (see setDestructor). */
  register<H>(target: object, callback: Destructor<H>, held: H): () => boolean {
    let page = this.current;
    if (page.freeCount === 0) page = this.nextPage();
    let at = page.scan;
    let bits = page.free[at];
    while (bits === 0) bits = page.free[++at];
    page.scan = at;
    const lowest = bits & -bits;
    page.free[at] = bits ^ lowest;
    page.freeCount--;
    const index = (at << 5) | (31 - Math.clz32(lowest));
    const slot = page.base + index;
    const generation = (this.generation + 1) & GENERATION_MASK;
    try {
      this.track(target, slot);
    } catch (error) {
      this.release(page, index);
      throw error;
    }
    this.generation = generation;
    let kind: number;
    if (callback === page.shared) {
      page.sharedCount++;
      page.values[index] = held;
      kind = KIND_SHARED;
    } else if (page.sharedCount === 0) {
      page.shared = callback as Destructor<unknown>;
      page.sharedCount = 1;
      page.values[index] = held;
      kind = KIND_SHARED;
    } else if (held === undefined) {
      page.values[index] = callback;
      kind = KIND_CALLBACK;
    } else {
      if (page.callbacks === NO_CALLBACKS) page.callbacks = new Array(PAGE_SIZE);
      page.callbacks[index] = callback as Destructor<unknown>;
      page.values[index] = held;
      kind = KIND_BOTH;
    }
    page.words[index] = (generation << GENERATION_SHIFT) | (kind << KIND_SHIFT) | LIVE;
    this.live++;
    return cancelFunction(this, slot, generation);
  }

  /** @internal */
  cancel(slot: number, generation: number): boolean {
    const page = this.pages[slot >>> PAGE_BITS];
    const index = slot & PAGE_MASK;
    const word = page.words[index];
    if ((word & LIVE) === 0 || word >>> GENERATION_SHIFT !== generation) return false;
    this.clear(page, index, word);
    this.release(page, index);
    this.live--;
    return true;
  }

  /** The current page is full: continue with another page that has room, or a new one. */
  private nextPage(): Page {
    let page: Page | undefined;
    while ((page = this.partial.pop()) !== undefined) {
      page.listed = false;
      if (page.freeCount > 0) return (this.current = page);
    }
    const base = this.pages.length * PAGE_SIZE;
    if (base + PAGE_SIZE > SLOT_LIMIT) throw new RangeError('setDestructor: too many pending registrations');
    page = new Page(base);
    this.pages.push(page);
    return (this.current = page);
  }

  /** Registrations not run or cancelled yet, split by whether their target is known dead. */
  counts(queued: Uint32Array, nativeGeneration: number): { tracked: number; pending: number } {
    if (nativeGeneration !== this.generation) {
      throw new Error(
        `weakwire: internal error: registration counts disagree (native ${nativeGeneration}, ` +
          `JavaScript ${this.generation}); something other than setDestructor called track()`,
      );
    }
    const pending = this.countLive(queued, 0) + this.countLive(this.batch, this.cursor);
    return { tracked: this.live - pending, pending };
  }

  private countLive(tokens: Uint32Array, from: number): number {
    let count = 0;
    for (let i = from; i + 1 < tokens.length; i += 2) {
      if (this.isLive(tokens[i], tokens[i + 1])) count++;
    }
    return count;
  }

  private isLive(slot: number, generation: number): boolean {
    if (slot >= this.pages.length * PAGE_SIZE) return false;
    const word = this.pages[slot >>> PAGE_BITS].words[slot & PAGE_MASK];
    return (word & LIVE) !== 0 && word >>> GENERATION_SHIFT === generation;
  }

  private clear(page: Page, index: number, word: number): void {
    const kind = (word >>> KIND_SHIFT) & KIND_MASK;
    page.values[index] = undefined;
    if (kind === KIND_SHARED) {
      if (--page.sharedCount === 0) page.shared = NO_CALLBACK;
    } else if (kind === KIND_BOTH) {
      page.callbacks[index] = undefined;
    }
  }

  private release(page: Page, index: number): void {
    page.words[index] = 0;
    const at = index >>> 5;
    page.free[at] |= 1 << (index & 31);
    if (at < page.scan) page.scan = at;
    if (page.freeCount++ === 0 && page !== this.current && !page.listed) {
      page.listed = true;
      this.partial.push(page);
    }
  }

  /**
   * Runs one batch of [slot, generation] pairs. Errors are returned so the native side reports
   * each as uncaught. If the native side has to hand the same batch over again (it did not get
   * to run), the pairs this call already finished are stale by then and skipped.
   */
  private readonly dispatch = (tokens: Uint32Array): unknown[] | undefined => {
    let errors: unknown[] | undefined;
    this.batch = tokens;
    this.cursor = 0;
    try {
      while (this.cursor + 1 < tokens.length) {
        const slot = tokens[this.cursor];
        const generation = tokens[this.cursor + 1];
        this.cursor += 2;
        // Cancelled (maybe by an earlier callback of this batch), or an older use of the slot.
        if (!this.isLive(slot, generation)) continue;
        const page = this.pages[slot >>> PAGE_BITS];
        const index = slot & PAGE_MASK;
        const word = page.words[index];
        const kind = (word >>> KIND_SHIFT) & KIND_MASK;
        const value = page.values[index];
        const callback = (
          kind === KIND_SHARED ? page.shared : kind === KIND_CALLBACK ? value : page.callbacks[index]
        ) as Destructor<unknown>;
        const held = kind === KIND_CALLBACK ? undefined : value;
        this.clear(page, index, word);
        this.release(page, index);
        this.live--;
        try {
          callback(held);
        } catch (error) {
          (errors ??= []).push(error);
        }
      }
    } finally {
      this.batch = NO_BATCH;
    }
    return errors;
  };
}

// Outside the class so the closure's context holds only these three values.
function cancelFunction(table: DestructorTable, slot: number, generation: number): () => boolean {
  return () => table.cancel(slot, generation);
}

const TABLE = Symbol.for('weakwire.destructorTable');
type BindingWithTable = NativeBinding & { [TABLE]?: DestructorTable };

// Made (or found) when this copy of the module loads, so a registration looks nothing up.
const shared = binding as BindingWithTable;
const registry: DestructorTable = (shared[TABLE] ??= new DestructorTable(binding));

/** @internal Live registrations, as stats() reports them. */
export function destructorCounts(
  queued: Uint32Array,
  nativeGeneration: number,
): { tracked: number; pending: number } {
  return registry.counts(queued, nativeGeneration);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value === 'object' ? 'an object' : typeof value;
}

function isObject(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function targetError(target: unknown): TypeError {
  return new TypeError(`setDestructor: target must be an object or a function; got ${describe(target)}`);
}

/**
 * Calls `callback(held)` once, on the event loop, after `target` has been garbage collected.
 *
 * The callback must not capture `target` (a closure that does keeps it alive forever); pass what
 * it needs as `held` instead. Callbacks run in batches after the finalizer recorded the death;
 * one that throws is reported as `'uncaughtException'` and the rest of the batch still runs.
 *
 * @returns `cancel()`: true if the destructor was still pending and is now cancelled. Cancelling
 * releases the callback and the held value at once; the runtime's finalizer record for the
 * target (about 100 bytes inside Node-API) stays until the target is collected.
 * @throws TypeError if `target` is not an object or function, or `callback` is not a function.
 */
export function setDestructor<H = undefined>(
  target: object,
  callback: Destructor<H>,
  held?: H,
): () => boolean {
  if (typeof callback !== 'function') {
    // Target first, as the arguments come: the message names the first bad one.
    if (!isObject(target)) throw targetError(target);
    throw new TypeError(`setDestructor: callback must be a function; got ${describe(callback)}`);
  }
  // The native side refuses a target that is not an object or function before anything is
  // registered: no second check on every call. The TypeError is made here, in the caller's realm
  // (the table may come from another copy of this module, in another vm context).
  try {
    return registry.register(target, callback, held as H);
  } catch (error) {
    throw isObject(target) ? error : targetError(target);
  }
}
