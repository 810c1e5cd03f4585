/**
 * What the fuzzer generates: templates of protocol messages, not the messages themselves. A
 * template names ids, sequence numbers and promises symbolically ("the 2nd object we hold", "a
 * sequence number already used", "a promise we announced"), and big structures by their shape
 * ("2^32 - 1 long with 3 items"); the hostile peer turns it into a raw message at send time, from
 * what it has learned of the session (see peer.ts). fast-check shrinks templates, so a failure
 * shrinks to a short batch of small messages.
 */

/** An object id as the server sees it. */
export type IdT =
  | { readonly id: 'tools' }
  /** The i-th (modulo) id we hold a reference to (any object or function of the server). */
  | { readonly id: 'held'; readonly i: number }
  /** The i-th (modulo) function we hold. */
  | { readonly id: 'heldFn'; readonly i: number }
  /** An id the server never gave out. */
  | { readonly id: 'unknown'; readonly n: number }
  /** Not an id at all (0, -1, 1.5, '1', null, ...). */
  | { readonly id: 'bad'; readonly v: unknown };

export type SeqT =
  | { readonly seq: 'fresh' }
  /** A sequence number used earlier in this session: a duplicate request. */
  | { readonly seq: 'reuse'; readonly i: number }
  | { readonly seq: 'bad'; readonly v: unknown };

/** A promise id we announce (`{ $: 'promise', id }`) or settle. */
export type PromiseT =
  | { readonly promise: 'fresh' }
  | { readonly promise: 'announced'; readonly i: number }
  | { readonly promise: 'bad'; readonly v: unknown };

/** An encoded value (what goes in `value`, `args`, `this`, `error`). */
export type ValueT =
  | { readonly v: 'json'; readonly value: string | number | boolean | null }
  | { readonly v: 'tag'; readonly tag: string; readonly fields: { readonly [key: string]: unknown } }
  | { readonly v: 'object'; readonly entries: ReadonlyArray<readonly [string, ValueT]>; readonly bare: boolean }
  | { readonly v: 'array'; readonly items: readonly ValueT[] }
  | { readonly v: 'map'; readonly entries: ReadonlyArray<readonly [ValueT, ValueT]> }
  | { readonly v: 'set'; readonly items: readonly ValueT[] }
  | {
      readonly v: 'error';
      readonly name: unknown;
      readonly message: unknown;
      readonly cause?: ValueT;
      readonly props: ReadonlyArray<readonly [string, ValueT]>;
    }
  | { readonly v: 'dup'; readonly n: unknown }
  /** One of our own functions or objects, by reference (the server makes a proxy). */
  | { readonly v: 'ref'; readonly id: number; readonly fn: boolean }
  | { readonly v: 'yours'; readonly target: IdT }
  | { readonly v: 'promise'; readonly promise: PromiseT }
  /** `depth` levels of copied arrays or objects around one value. */
  | { readonly v: 'deep'; readonly depth: number; readonly shape: 'array' | 'object'; readonly inner: ValueT }
  /** An array of `length` with items only at `at` (a sparse array, or a dense one over JSON). */
  | { readonly v: 'sparse'; readonly length: number; readonly at: ReadonlyArray<readonly [number, ValueT]> }
  /** Not an encoded value: an untagged object, a raw array, undefined. */
  | { readonly v: 'raw'; readonly value: unknown };

/** A list of arguments, or something that is not one. */
export type ArgsT =
  | { readonly args: 'list'; readonly items: readonly ValueT[] }
  | { readonly args: 'sparse'; readonly length: number; readonly at: ReadonlyArray<readonly [number, ValueT]> }
  | { readonly args: 'bad'; readonly v: unknown };

/** How much a FREE entry gives back. */
export type CountT =
  /** All we hold of that id (nothing, if we hold none). */
  | { readonly count: 'held' }
  | { readonly count: 'one' }
  /** More than could ever be outstanding: ignored. */
  | { readonly count: 'huge' }
  | { readonly count: 'bad'; readonly v: unknown };

export type FreeT =
  | { readonly free: 'entries'; readonly entries: ReadonlyArray<readonly [IdT, CountT]> }
  /** A sparse entry list: 2^32 - 1 long with a few entries (the 31-byte attack). */
  | { readonly free: 'sparse'; readonly length: number; readonly entries: ReadonlyArray<readonly [IdT, CountT]> }
  /** More entries than the server accepts in one FREE. */
  | { readonly free: 'many'; readonly count: number }
  | { readonly free: 'bad'; readonly v: unknown };

/** A member name. */
export type KeyT = string | { readonly badKey: unknown };

export type MessageT =
  | { readonly op: 'hello'; readonly seq: SeqT; readonly fields: 'valid' | 'bad' }
  | { readonly op: 'require' | 'global'; readonly seq: SeqT; readonly name: unknown }
  | { readonly op: 'get'; readonly seq: SeqT; readonly target: IdT; readonly key: KeyT }
  | { readonly op: 'set'; readonly seq: SeqT; readonly target: IdT; readonly key: KeyT; readonly value: ValueT }
  | {
      readonly op: 'call';
      readonly seq: SeqT;
      readonly target: IdT;
      readonly key?: KeyT;
      readonly expect?: IdT;
      readonly this?: ValueT;
      readonly args: ArgsT;
    }
  | { readonly op: 'new'; readonly seq: SeqT; readonly target: IdT; readonly key?: KeyT; readonly args: ArgsT }
  | { readonly op: 'free'; readonly free: FreeT }
  | { readonly op: 'settle'; readonly promise: PromiseT; readonly ok: unknown; readonly value: ValueT }
  /** An answer to one of the server's requests (calls of our callbacks), or to none. */
  | {
      readonly op: 'answer';
      readonly to: { readonly pending: number } | { readonly unknown: number } | { readonly bad: unknown };
      readonly kind: 'result' | 'error' | 'stale' | 'both' | 'neither';
      readonly value: ValueT;
    }
  | { readonly op: 'unknown'; readonly name: unknown; readonly seq: SeqT }
  /** Not a message: a number, a string, null, an array. */
  | { readonly op: 'notObject'; readonly value: unknown };

/** One step of a batch. */
export type StepT =
  | { readonly step: 'send'; readonly message: MessageT; readonly sync: boolean }
  /** Sends again the message sent `back` steps ago (a duplicate, out of order). */
  | { readonly step: 'again'; readonly back: number }
  /**
   * Several messages as one `batch` message: well-formed, holding a batch, or refused whole
   * (`m` not an array, empty, more messages than a batch may hold).
   */
  | { readonly step: 'batch'; readonly messages: readonly MessageT[]; readonly shape: BatchShapeT }
  /** Junk on the wire itself (a bad frame, a bad envelope), by kind. */
  | { readonly step: 'junk'; readonly kind: number }
  /** Waits for the answers so far: what they carried can be used by later steps. */
  | { readonly step: 'wait' };

export type BatchShapeT = 'valid' | 'nested' | 'notArray' | 'empty' | 'tooMany';

export interface BatchT {
  readonly steps: readonly StepT[];
  /** Ends the batch by closing the session from the hostile side, everything still in flight. */
  readonly closeAtEnd: boolean;
}
