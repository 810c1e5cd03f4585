/**
 * The references inside a message we will not use.
 *
 * The peer counted a send for every `ref` it encoded. When a message is refused, malformed, late
 * (its request timed out) or otherwise dropped, nobody here will ever hold a proxy for those
 * receipts, so they must be given back with a FREE or the peer would keep the objects forever.
 * This walks the raw message without decoding it: no proxy is made, nothing is called, and the
 * walk is iterative and stops at holes, so its work is bounded by what the peer really sent.
 */
import { Array, ArrayBuffer, Map } from '../builtins';
import { isId } from '../protocol';

/** Adds the `ref` receipts found anywhere in `raw` to `counts` (id -> receipts). */
export function countReferences(raw: unknown, counts: Map<number, number>): void {
  const stack: unknown[] = [raw];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    // Binary data holds no references; walking its indexes would cost its length.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined) break; // a hole: the rest is not really there
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
      continue;
    }
    const record = value as { readonly [key: string]: unknown };
    if (record.$ === 'ref' && isId(record.id)) {
      counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
      continue;
    }
    // A clone holds the application's data as it is, never a reference: `{ $: "ref" }` in it is data.
    if (record.$ === 'clone') continue;
    for (const key in record) {
      const item = record[key];
      if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
}
