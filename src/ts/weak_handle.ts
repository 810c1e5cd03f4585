import { binding, type NativeBinding } from './binding';
import { checkDestructorArguments } from './validation';

/** Callback run after a target was collected; receives the `held` value given at registration. */
export type Destructor<H> = (held: H) => void;

// The layout of the registration table. The hot paths below (register, cancel, dispatch) write
// these numbers in place, named in a comment: module-level constants are context slots that the
// optimizing compiler loads and checks on every use instead of folding them.
//
// Registrations live in pages of 4096 slots (slot >>> 12 is the page, slot & 4095 the index in
// it). A page is allocated once and never grows, so registering never copies an array, and the
// unused part of the storage is at most one page.
const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
//
// A page's int32 array, `words`, holds everything about its slots but the JavaScript values,
// one word per slot:
//   live: generation << 3 | kind << 1 | 1
//   free: next << 1, where next is the page's freed slot taken after this one (4096: none), or 0
//         for a slot never taken
// The freed slots form a list through their words: the page's `head` is taken next, and a slot
// freed becomes the head, so the next registrations take the slots that died last. Past the
// slots ever taken, the page's `bump` is the next one never taken, taken when the list is empty
// (head 4096). A page whose slots are all free again starts over (empty list, bump 0), so its
// next registrations take its slots lowest first. A batch of targets dies in the collector's
// order, not in slot order: taking slots back through the list in that order read a word and
// wrote two values in a different cache line at every registration (random order made the
// register benchmark 1.5 times slower in some processes than in others). The page's `free` count
// says how many slots are free, in the list and past `bump`.
// Taking or freeing a slot is one read or one write of the array: each typed-array access in the
// hot paths costs a bounds check and reloads of the array's pointers after any store.
//
// A registration's generation is the count of registrations so far, masked with
// binding.generationMask (2^28 - 1 on 64-bit platforms): the native side counts the same way
// (src/native/weak_handle.h), so track() returns nothing. Below 2^28, a word is a non-negative
// int32.
//
// The kind says where the callback and held value are, in one value slot where it can: most
// registrations of a page share one callback (a cache's or a registry's), and a closure
// registered without a held value needs no second slot.
//   0 shared:   callback page.shared,    held page.values
//   1 callback: callback page.values,    held undefined
//   2 both:     callback page.callbacks, held page.values
//
// Slots stay small integers, and below what the native side can carry in a finalizer's data.
const SLOT_LIMIT = Math.min(2 ** 30, binding.slotLimit);

// Placeholders that keep every field of a Page and of the table at one type from the start:
// a field that changes type later (undefined, then an array) deoptimizes the code using it.
const NO_CALLBACKS: Array<Destructor<unknown> | undefined> = [];
const NO_CALLBACK: Destructor<unknown> = () => {};
const NO_BATCH: Uint32Array = new Uint32Array(0);

class Page {
  /** Held values (or callbacks, kind 1). Filled so that every page's array has one elements kind. */
  readonly values: unknown[] = new Array(PAGE_SIZE).fill(undefined);
  readonly words = new Int32Array(PAGE_SIZE);
  /** Callbacks of kind 2 (both): a real array from the first one on. */
  callbacks = NO_CALLBACKS;
  /** The callback of this page's kind 0 (shared) registrations, while it has any. */
  shared = NO_CALLBACK;
  /** Whether the page is on the table's stack of pages with free slots. */
  listed = false;
  /** Free slots: in the list through `words`, and from `bump` on. */
  free = PAGE_SIZE;
  /** The freed slot taken next; PAGE_SIZE while the list is empty. */
  head = PAGE_SIZE;
  /** The first slot never taken since the page was made or last started over. */
  bump = 0;
  /** Registrations of kind 0 (shared). */
  sharedCount = 0;

  /** @param base the slot of the page's first entry */
  constructor(readonly base: number) {}
}

// The page to allocate from before there is any: it has no free slot.
const FULL_PAGE = new Page(0);
FULL_PAGE.free = 0;

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
  /**
   * The batch being dispatched, so stats() called from a callback counts what it has not run:
   * the pairs it already ran are no longer live, so the whole batch can be counted.
   */
  private batch = NO_BATCH;
  private readonly track: NativeBinding['track'];
  private readonly generationMask: number;

  constructor(native: NativeBinding) {
    this.track = native.track;
    this.generationMask = native.generationMask;
    native.setDispatcher((tokens) => this.dispatch(tokens));
  }

  /** Registers a destructor; `target` is checked by the native side (see setDestructor). */
  register<H>(target: object, callback: Destructor<H>, held: H): () => boolean {
    const slot = this.add(target, callback, held);
    return cancelFunction(slot, this.generation);
  }

  /** Registers a destructor and returns its slot (its generation is then `this.generation`). */
  add<H>(target: object, callback: Destructor<H>, held: H): number {
    let page = this.current;
    if (page.free === 0) page = this.nextPage();
    const words = page.words;
    page.free--;
    let index = page.head;
    // PAGE_SIZE: no freed slot is listed, take the next one never taken.
    if (index !== 4096) page.head = words[index] >>> 1;
    else index = page.bump++;
    const slot = page.base + index;
    const previous = this.generation;
    const generation = (previous + 1) & this.generationMask;
    this.generation = generation;
    let kind: number;
    if (callback === page.shared) {
      page.sharedCount++;
      page.values[index] = held;
      kind = 0; // shared
    } else if (page.sharedCount === 0) {
      page.shared = callback as Destructor<unknown>;
      page.sharedCount = 1;
      page.values[index] = held;
      kind = 0; // shared
    } else if (held === undefined) {
      page.values[index] = callback;
      kind = 1; // callback
    } else {
      if (page.callbacks === NO_CALLBACKS) page.callbacks = new Array(PAGE_SIZE).fill(undefined);
      page.callbacks[index] = callback as Destructor<unknown>;
      page.values[index] = held;
      kind = 2; // both
    }
    const word = (generation << 3) | (kind << 1) | 1;
    words[index] = word;
    // The native call comes last, so nothing written above is read back after it (the optimizing
    // compiler would load and check it all again). track() runs no JavaScript, so nothing sees the
    // registration before its finalizer is attached; when it refuses the target, the registration
    // is undone and its generation not counted (the native side did not count it either).
    try {
      this.track(target, slot);
    } catch (error) {
      this.clear(page, index, word);
      this.release(page, index);
      this.generation = previous;
      throw error;
    }
    return slot;
  }

  /** @internal */
  cancel(slot: number, generation: number): boolean {
    const page = this.pages[slot >>> 12];
    const index = slot & 4095;
    const word = page.words[index];
    if ((word & 1) === 0 || word >>> 3 !== generation) return false;
    this.clear(page, index, word);
    this.release(page, index);
    return true;
  }

  /** Cancels every registration whose callback is `callback`; returns how many. */
  cancelAll(callback: Destructor<never>): number {
    let cancelled = 0;
    for (const page of this.pages) {
      const words = page.words;
      if (page.free === PAGE_SIZE) continue;
      for (let index = 0; index < PAGE_SIZE; index++) {
        const word = words[index];
        if ((word & 1) === 0) continue;
        const kind = (word >>> 1) & 3;
        const own = kind === 0 ? page.shared : kind === 1 ? page.values[index] : page.callbacks[index];
        if (own !== callback) continue;
        this.clear(page, index, word);
        this.release(page, index);
        cancelled++;
      }
    }
    return cancelled;
  }

  /** The current page is full: continue with another page that has room, or a new one. */
  private nextPage(): Page {
    let page: Page | undefined;
    while ((page = this.partial.pop()) !== undefined) {
      page.listed = false;
      if (page.free > 0) return (this.current = page);
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
    // A slot is taken exactly while its registration is live.
    let live = 0;
    for (const page of this.pages) live += PAGE_SIZE - page.free;
    const pending = this.countLive(queued) + this.countLive(this.batch);
    return { tracked: live - pending, pending };
  }

  private countLive(tokens: Uint32Array): number {
    let count = 0;
    for (let i = 0; i + 1 < tokens.length; i += 2) {
      if (this.isLive(tokens[i], tokens[i + 1])) count++;
    }
    return count;
  }

  private isLive(slot: number, generation: number): boolean {
    if (slot >= this.pages.length * PAGE_SIZE) return false;
    const word = this.pages[slot >>> 12].words[slot & 4095];
    return (word & 1) !== 0 && word >>> 3 === generation;
  }

  /** Lets go of a live registration's callback and held value. */
  private clear(page: Page, index: number, word: number): void {
    const kind = (word >>> 1) & 3;
    page.values[index] = undefined;
    if (kind === 0) {
      if (--page.sharedCount === 0) page.shared = NO_CALLBACK;
    } else if (kind === 2) {
      page.callbacks[index] = undefined;
    }
  }

  /** Frees the slot. */
  private release(page: Page, index: number): void {
    const free = page.free;
    page.words[index] = page.head << 1;
    page.head = index;
    page.free = free + 1;
    if (free + 1 === PAGE_SIZE) startOver(page);
    if (free === 0 && page !== this.current && !page.listed) {
      page.listed = true;
      this.partial.push(page);
    }
  }

  /**
   * Runs one batch of [slot, generation] pairs. Errors are returned so the native side reports
   * each as uncaught. If the native side has to hand the same batch over again (it did not get
   * to run), the pairs this call already finished are stale by then and skipped.
   */
  private dispatch(tokens: Uint32Array): unknown[] | undefined {
    this.batch = tokens;
    try {
      return runPairs(this.pages, tokens);
    } finally {
      this.settlePages();
      this.batch = NO_BATCH;
    }
  }

  /**
   * After a batch: lets go of the shared callback of each page that no registration uses any
   * more, starts over each page whose slots are all free, and lists each full page that has free
   * slots again (see runPairs). It visits every
   * page, one per 4,096 slots, which is little beside a native-to-JavaScript call. A callback
   * that registered during the batch has already taken over a page's shared callback, or its
   * free slots, as add() does with any page.
   */
  private settlePages(): void {
    for (const page of this.pages) {
      if (page.sharedCount === 0 && page.shared !== NO_CALLBACK) page.shared = NO_CALLBACK;
      if (page.free === PAGE_SIZE && page.bump !== 0) startOver(page);
      if (page.free > 0 && page !== this.current && !page.listed) {
        page.listed = true;
        this.partial.push(page);
      }
    }
  }
}

/** A page whose slots are all free: its next registrations take them lowest first (see above). */
function startOver(page: Page): void {
  page.head = PAGE_SIZE;
  page.bump = 0;
}

/**
 * The loop of dispatch: runs each pair whose registration is still live and frees its slot.
 * Returns the callbacks' errors.
 *
 * This is the per-object cost of finalizing, so clear() and release() are written out here. A
 * fresh process optimizes this loop in the middle of its first batch, and would throw that code
 * away again at the first step it had not yet taken by then (`Insufficient type feedback`), then
 * compile it again. So the loop is all there is in this function (property reads around it would
 * be such steps), it takes the same steps for every live pair of a kind, and what happens once
 * per page (letting go of a page's shared callback after its last registration ran, listing a
 * full page that got free slots) waits for settlePages.
 */
function runPairs(pages: Page[], tokens: Uint32Array): unknown[] | undefined {
  let errors: unknown[] | undefined;
  // Pages are never removed, and every pair names a slot of one of them.
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const slot = tokens[i];
    const page = pages[slot >>> 12];
    const index = slot & 4095;
    const words = page.words;
    const word = words[index];
    // Cancelled (maybe by an earlier callback of this batch), or an older use of the slot.
    if ((word & 1) === 0 || word >>> 3 !== tokens[i + 1]) continue;
    const values = page.values;
    const value = values[index];
    values[index] = undefined;
    let callback: Destructor<unknown>;
    let held: unknown;
    if ((word & 6) === 0) {
      // kind 0, shared
      callback = page.shared;
      held = value;
      page.sharedCount--;
    } else if ((word & 6) === 2) {
      // kind 1, callback
      callback = value as Destructor<unknown>;
      held = undefined;
    } else {
      callback = page.callbacks[index] as Destructor<unknown>;
      page.callbacks[index] = undefined;
      held = value;
    }
    // release(page, index), but for listing the page
    words[index] = page.head << 1;
    page.head = index;
    page.free++;
    try {
      callback(held);
    } catch (error) {
      (errors ??= []).push(error);
    }
  }
  return errors;
}

// Outside the class so the closure's context holds only these two values: the table is this
// module's `registry`, set before the first registration (and the table that registers is always
// the registry of the module copy whose code this is: a copy that did not make the table runs its
// maker's register()).
function cancelFunction(slot: number, generation: number): () => boolean {
  return () => (registry as DestructorTable).cancel(slot, generation);
}

const TABLE = Symbol.for('weakwire.destructorTable');
type BindingWithTable = NativeBinding & { [TABLE]?: DestructorTable };

// Found when this copy of the module loads if another copy made it, so a registration looks
// nothing up. It is made at the first registration, not at load: it lives as long as the process
// and holds the realm it was made in (a test file's, under Jest), so loading weakwire or reading
// stats() must not make it.
const shared = binding as BindingWithTable;
// `var`: a `let` read from the functions below is checked for its temporal dead zone on every
// registration.
var registry: DestructorTable | undefined = shared[TABLE];

function table(): DestructorTable {
  return (registry ??= shared[TABLE] ??= new DestructorTable(binding));
}

/** @internal Live registrations, as stats() reports them. */
export function destructorCounts(
  queued: Uint32Array,
  nativeGeneration: number,
): { tracked: number; pending: number } {
  const existing = registry ?? shared[TABLE];
  if (existing === undefined && nativeGeneration === 0) return { tracked: 0, pending: 0 };
  return (existing ?? table()).counts(queued, nativeGeneration);
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
  // Checked in JavaScript so the TypeError belongs to the caller's realm (the table may come from
  // another copy of this module, in another vm context); the native side refuses a bad target
  // before anything is registered, so the common path makes no second check.
  if (typeof callback !== 'function') checkDestructorArguments(target, callback);
  try {
    // `!== undefined` rather than `??`: one comparison on every registration instead of two.
    return (registry !== undefined ? registry : table()).register(target, callback, held as H);
  } catch (error) {
    checkDestructorArguments(target, callback);
    throw error;
  }
}

/**
 * `setDestructor` without a cancel function, which is most of a registration's JavaScript heap
 * when the callback is shared and `held` is an existing object: the remote module registers one
 * per live proxy. `cancelWatches(callback)` cancels all registrations of a callback at once.
 * @internal
 */
export function watchCollection<H>(target: object, callback: Destructor<H>, held: H): void {
  if (typeof callback !== 'function') checkDestructorArguments(target, callback);
  const destructors = registry ?? table();
  try {
    // A table made by an older copy of this module (which found it on the binding) has no `add`.
    if (typeof destructors.add === 'function') destructors.add(target, callback, held);
    else destructors.register(target, callback, held);
  } catch (error) {
    checkDestructorArguments(target, callback);
    throw error;
  }
}

/**
 * Cancels every pending registration whose callback is `callback` (a session's, when it
 * closes). It scans the whole table: for rare events, not per object.
 * @returns how many were cancelled.
 * @internal
 */
export function cancelWatches(callback: Destructor<never>): number {
  const destructors = registry ?? shared[TABLE];
  // No table yet: nothing registered. An older copy's table cannot cancel in bulk (its
  // registrations then run, and their callback ignores them).
  return destructors !== undefined && typeof destructors.cancelAll === 'function' ? destructors.cancelAll(callback) : 0;
}
