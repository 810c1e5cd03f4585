/**
 * Proofs that collections really happened, for tests that then assert that something did NOT
 * happen (was not collected, did not run). Running GC for a number of rounds proves nothing: a
 * test can only fail if the collection it relies on is shown to have taken place.
 */
import { gcUntil, track } from '../src/ts/testing';
import type { setDestructor as nativeSetDestructor } from '../src/ts';

/** The `setDestructor` of either backend (test/core/backends.ts) or of `weakwire` itself. */
type SetDestructor = typeof nativeSetDestructor;

/**
 * Collects `times` fresh objects, one after the other: proof that full collections and
 * destructor turns really happened, before a test asserts that something was NOT collected.
 */
export async function gcProven(times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await track({}, 'a GC sentinel').collected();
}

// Its own frame, so nothing on the caller's stack keeps the witness alive.
function dropWitness(setDestructor: SetDestructor, onDeath: () => void): void {
  setDestructor({ witness: true }, onDeath);
}

/**
 * Proof that the backend behind `setDestructor` collected garbage and delivered a destructor
 * batch after this call: registers a destructor on a fresh object that nothing holds, and waits
 * until it has run. Both backends deliver destructors in the order the deaths were recorded, so
 * by then every destructor queued before it, by this collection or an earlier one, has run too.
 */
export async function destructorBatchProven(setDestructor: SetDestructor): Promise<void> {
  let ran = false;
  dropWitness(setDestructor, () => {
    ran = true;
  });
  await gcUntil(() => ran);
}
