import { track } from '../../src/ts/testing';

/**
 * Collects `times` fresh objects, one after the other: proof that full collections and
 * destructor turns really happened, before a test asserts that something was NOT collected.
 */
export async function gcProven(times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await track({}, 'a GC sentinel').collected();
}
