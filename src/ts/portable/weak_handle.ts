import { checkDestructorArguments } from '../validation';
import { realmState, type PortableCounters } from './realm_state';
import { later, reportUncaught } from './schedule';

/** Callback run after a target was collected; receives the `held` value given at registration. */
export type Destructor<H> = (held: H) => void;

// Slot states. A slot is freed when its callback is taken for running, or at cancel.
const FREE = 0;
const TRACKING = 1;
const QUEUED = 2; // the target died; the callback waits for its batch
const CANCELLED = 3; // cancelled while queued; the batch frees it

/** As many callbacks per batch as the native backend runs per native-to-JS call. */
const BATCH = 65_536;
// A registration's FinalizationRegistry held value packs its slot and generation into one number
// (no object per registration): 2^26 slots, generations counted modulo 2^26, under 2^53.
const SLOT_BITS = 2 ** 26;

/**
 * The registrations of one realm, indexed by slot like the native table. The registry's callback
 * only records the death and schedules a batch: user callbacks never run inside it, so they see
 * the same deferred, batched delivery as native finalizers give.
 */
class PortableDestructorTable {
  private readonly callbacks: Array<Destructor<unknown> | undefined> = [];
  private readonly helds: unknown[] = [];
  private readonly generations: number[] = [];
  private readonly states: number[] = [];
  private readonly free: number[] = [];
  private queue: number[] = [];
  private scheduled = false;
  private readonly registry = new FinalizationRegistry<number>((token) => this.died(token));

  constructor(private readonly counters: PortableCounters) {}

  register<H>(target: object, callback: Destructor<H>, held: H): () => boolean {
    const slot = this.take(callback, held);
    const generation = this.generations[slot];
    // The cancel function is the unregister token: the registry holds it weakly, and once the
    // caller dropped it nobody can cancel, so nothing needs it any more.
    const cancel = cancelFunction(this, slot, generation);
    this.registry.register(target, generation * SLOT_BITS + slot, cancel);
    this.counters.trackedObjects++;
    return cancel;
  }

  /** `register` without a cancel function nor unregister token: only `cancelAll` cancels it. */
  watch<H>(target: object, callback: Destructor<H>, held: H): void {
    const slot = this.take(callback, held);
    this.registry.register(target, this.generations[slot] * SLOT_BITS + slot);
    this.counters.trackedObjects++;
  }

  /** Takes a slot for `callback(held)` under a new generation (then in `generations[slot]`). */
  private take<H>(callback: Destructor<H>, held: H): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.states.length;
    this.generations[slot] = ((this.generations[slot] ?? 0) + 1) % SLOT_BITS;
    this.states[slot] = TRACKING;
    this.callbacks[slot] = callback as Destructor<unknown>;
    this.helds[slot] = held;
    return slot;
  }

  /** @internal */
  cancel(slot: number, generation: number, token: object): boolean {
    // A stale cancel (the slot was reused since) or a second one finds another generation or state.
    if (this.generations[slot] !== generation) return false;
    const state = this.states[slot];
    if (state === TRACKING) {
      this.registry.unregister(token);
      this.counters.trackedObjects--;
      this.release(slot);
      return true;
    }
    if (state === QUEUED) {
      // Already in a batch's queue: the batch frees the slot when it reaches it.
      this.states[slot] = CANCELLED;
      this.callbacks[slot] = undefined;
      this.helds[slot] = undefined;
      this.counters.pendingCallbacks--;
      return true;
    }
    return false;
  }

  /**
   * Cancels every registration whose callback is `callback`; returns how many. A registration
   * made by `watch` has no unregister token: its slot is freed now, and the registry's report of
   * its death later finds a free or reused slot and is ignored.
   */
  cancelAll(callback: Destructor<never>): number {
    let cancelled = 0;
    for (let slot = 0; slot < this.states.length; slot++) {
      if (this.callbacks[slot] !== callback) continue;
      const state = this.states[slot];
      if (state === TRACKING) {
        this.counters.trackedObjects--;
        this.release(slot);
        cancelled++;
      } else if (state === QUEUED) {
        this.states[slot] = CANCELLED;
        this.callbacks[slot] = undefined;
        this.helds[slot] = undefined;
        this.counters.pendingCallbacks--;
        cancelled++;
      }
    }
    return cancelled;
  }

  private release(slot: number): void {
    this.states[slot] = FREE;
    this.callbacks[slot] = undefined;
    this.helds[slot] = undefined;
    this.free.push(slot);
  }

  /** The registry's callback: records the death only. */
  private died(token: number): void {
    const slot = token % SLOT_BITS;
    // Unregistering at cancel makes this unreachable for a cancelled registration; checking the
    // generation as well keeps an engine that delivers one late from touching a reused slot.
    if (this.states[slot] !== TRACKING || this.generations[slot] !== Math.floor(token / SLOT_BITS)) return;
    this.states[slot] = QUEUED;
    this.counters.trackedObjects--;
    this.counters.pendingCallbacks++;
    this.queue.push(slot);
    if (!this.scheduled) {
      this.scheduled = true;
      later(this.dispatch);
    }
  }

  /** Runs one batch; errors are reported as uncaught once the whole batch ran. */
  private readonly dispatch = (): void => {
    this.scheduled = false;
    let batch = this.queue;
    if (batch.length > BATCH) {
      this.queue = batch.slice(BATCH);
      batch = batch.slice(0, BATCH);
    } else {
      this.queue = [];
    }
    let errors: unknown[] | undefined;
    for (const slot of batch) {
      if (this.states[slot] === CANCELLED) {
        this.release(slot);
        continue;
      }
      const callback = this.callbacks[slot]!;
      const held = this.helds[slot];
      this.counters.pendingCallbacks--;
      // Freed before the call: a callback that cancels itself gets false, one that registers
      // may reuse the slot under a new generation.
      this.release(slot);
      try {
        callback(held);
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    if (errors !== undefined) for (const error of errors) reportUncaught(error);
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      later(this.dispatch);
    }
  };
}

// Outside the class so the closure's context holds only these values, never a target.
function cancelFunction(table: PortableDestructorTable, slot: number, generation: number): () => boolean {
  const cancel = (): boolean => table.cancel(slot, generation, cancel);
  return cancel;
}

function table(): PortableDestructorTable {
  const state = realmState();
  return (state.destructors ??= new PortableDestructorTable(state.counters)) as PortableDestructorTable;
}

/**
 * Calls `callback(held)` once, on a later event-loop turn, after `target` has been garbage
 * collected: the portable twin of `weakwire`'s `setDestructor`, built on `FinalizationRegistry`.
 *
 * Same contract as the native one: the callback must not capture `target` (pass what it needs as
 * `held`); callbacks run in batches, never inside the registry's own callback; one that throws is
 * reported as uncaught and the rest of the batch still runs. The engine decides when a
 * FinalizationRegistry reports a death, which can be later than a native finalizer would.
 *
 * @returns `cancel()`: true if the destructor was still pending and is now cancelled.
 * @throws TypeError if `target` is not an object or function, or `callback` is not a function.
 */
export function setDestructor<H = undefined>(
  target: object,
  callback: Destructor<H>,
  held?: H,
): () => boolean {
  checkDestructorArguments(target, callback);
  return table().register(target, callback, held as H);
}

/**
 * `setDestructor` for callers that never cancel: no cancel function is made. The remote module
 * registers one per live proxy.
 * @internal
 */
export function watchCollection<H>(target: object, callback: Destructor<H>, held: H): void {
  checkDestructorArguments(target, callback);
  const destructors = table();
  // A table made by an older copy of this module (found in the realm's state) has no `watch`.
  if (typeof destructors.watch === 'function') destructors.watch(target, callback, held);
  else destructors.register(target, callback, held);
}

/**
 * Cancels every pending registration whose callback is `callback` (a session's, when it
 * closes). It scans the whole table: for rare events, not per object.
 * @returns how many were cancelled.
 * @internal
 */
export function cancelWatches(callback: Destructor<never>): number {
  const destructors = table();
  return typeof destructors.cancelAll === 'function' ? destructors.cancelAll(callback) : 0;
}
