import { binding, type NativeBinding } from './binding';
import { checkDestructorArguments } from './validation';

/** Callback run after a target was collected; receives the `held` value given at registration. */
export type Destructor<H> = (held: H) => void;

/**
 * Callbacks by native slot. The native side calls `dispatch` with one batch of slots; this object
 * runs their callbacks. It is stored on the binding so that every copy of this module in the
 * same environment shares one table (the native slots are per environment, not per copy).
 */
class DestructorTable {
  private readonly callbacks: Array<Destructor<unknown> | undefined> = [];
  private readonly helds: unknown[] = [];

  constructor(private readonly native: NativeBinding) {
    native.setDispatcher(this.dispatch);
  }

  register<H>(target: object, callback: Destructor<H>, held: H): () => boolean {
    const slot = this.native.track(target);
    // The native side counts registrations per slot (generations). A cancel function remembers
    // the one it was made for, so one left over from an earlier use of a reused slot does nothing.
    // Keeping a number instead of the cancel function itself lets callers drop the function (most
    // do) and the GC reclaim it.
    const generation = this.native.generation[0];
    this.callbacks[slot] = callback as Destructor<unknown>;
    this.helds[slot] = held;
    return cancelFunction(this, slot, generation);
  }

  /** @internal */
  cancel(slot: number, generation: number): boolean {
    // No callback: it ran, is running, or was cancelled (a batch marks it here before calling).
    if (this.callbacks[slot] === undefined) return false;
    // Native decides the rest, including a stale generation (the slot was reused since).
    if (!this.native.untrack(slot, generation)) return false;
    this.clear(slot);
    return true;
  }

  private clear(slot: number): void {
    this.callbacks[slot] = undefined;
    this.helds[slot] = undefined;
  }

  /** Runs one batch. Errors are returned so the native side reports each as uncaught. */
  private readonly dispatch = (slots: Uint32Array): unknown[] | undefined => {
    let errors: unknown[] | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const callback = this.callbacks[slot];
      if (callback === undefined) continue; // cancelled by an earlier callback of this batch
      const held = this.helds[slot];
      this.clear(slot);
      try {
        callback(held);
      } catch (error) {
        (errors ??= []).push(error);
      }
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

function table(): DestructorTable {
  const shared = binding as BindingWithTable;
  return (shared[TABLE] ??= new DestructorTable(binding));
}

/**
 * Calls `callback(held)` once, on the event loop, after `target` has been garbage collected.
 *
 * The callback must not capture `target` (a closure that does keeps it alive forever); pass what
 * it needs as `held` instead. Callbacks run in batches after the finalizer recorded the death;
 * one that throws is reported as `'uncaughtException'` and the rest of the batch still runs.
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
