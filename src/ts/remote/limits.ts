/**
 * Every bound the remote layer enforces, in one place. A peer can make us do work in proportion
 * to what it really sends, never more: these are the numbers behind that promise, and the
 * defaults of the session options that tune them (see docs/security.md).
 */

/** Fixed bounds of the wire format (not options). */
export const WIRE_LIMITS = {
  /** Arguments of one call or `new`. */
  maxArgs: 65_536,
  /** Entries of one FREE message accepted from the peer (we send at most `freeBatch`). */
  maxFreeEntries: 65_536,
  /** FREE entries we gather before sending without waiting for the end of the turn. */
  freeBatch: 4_096,
  /** Decimal digits of a bigint, both ways. */
  maxBigIntDigits: 10_000,
  /**
   * Missing items (holes) of one array we send, each sent as undefined; an array with more is
   * refused (ERR_REMOTE_TOO_LARGE) instead of costing a step per index of its length.
   */
  maxHoles: 65_536,
  /** Member names in one path (`proxy.a.b.c` is a path of 3). */
  maxPath: 32,
  /** Messages in one `batch` accepted from the peer (we send at most `batchSize`). */
  maxBatch: 4_096,
  /** Messages we put in one `batch`; more in one turn go as several batches. */
  batchSize: 1_024,
} as const;

/** Defaults of the options every session takes (server and client alike). */
export const SESSION_DEFAULTS = {
  /**
   * Copied values nested deeper than this are refused: when encoding, only that call fails
   * (ERR_REMOTE_TOO_DEEP); when decoding, the request gets an error answer.
   */
  maxDepth: 256,
  /**
   * How long a request waits for its answer and, when answered with a promise (as every async
   * function answers), for that promise to settle; 0 waits forever. `withTimeout` sets it per call.
   */
  callTimeoutMs: 30_000,
  /**
   * Our requests waiting for an answer, and promises of the peer that have not settled, each at
   * most this many; one more fails at once with ERR_REMOTE_BUSY.
   */
  maxPendingCalls: 100_000,
} as const;

/**
 * Failures of one session shown as process warnings while nobody listens to 'error'; one more
 * warning then says the rest are not shown. The peer decides how many failures there are (each
 * malformed message is one), so it must not decide how much the process prints.
 */
export const WARNINGS_PER_SESSION = 10;

/** The largest timeout `setTimeout` takes; longer ones would fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
