/**
 * The options every session takes, on the server and on the client, checked once.
 */
import { Number, Set, TypeError } from './builtins';
import type { ErrorStacks } from './codec/stacks';
import { MAX_TIMEOUT_MS, SESSION_DEFAULTS } from './limits';

export type { ErrorStacks } from './codec/stacks';

export interface SessionOptions {
  /**
   * Lets the peer read, write and call `__proto__`, `constructor`, `prototype` and members
   * inherited from `Object.prototype` / `Function.prototype` on the objects this side exports.
   * Off by default: those lead to escapes such as `proxy.constructor.constructor('return process')()`.
   */
  readonly allowPrototypeAccess?: boolean;
  /**
   * Lets the peer assign members of the objects this side exports (`proxy.x = v`,
   * `remote.set(...)`). Off by default: a client could otherwise change a served singleton
   * (`os.tmpdir = ...`) for every session.
   */
  readonly allowWrites?: boolean;
  /**
   * How much of an error's stack goes to the peer: `'full'`, `'redacted'` (default: function and
   * file names, no directories) or `'none'`.
   */
  readonly errorStacks?: ErrorStacks;
  /** Deepest nesting of a copied value, both ways. Default 256. */
  readonly maxDepth?: number;
  /**
   * Milliseconds a request waits for its answer before it fails with ERR_REMOTE_TIMEOUT; 0 waits
   * forever. Default 30,000. `withTimeout(ms, fn)` overrides it for the calls `fn` makes.
   */
  readonly callTimeoutMs?: number;
  /**
   * How many of our requests may wait for an answer at once, and how many of the peer's promises
   * may be unsettled; past it, a call fails at once with ERR_REMOTE_BUSY. Default 100,000.
   */
  readonly maxPendingCalls?: number;
}

export type SessionPolicy = { readonly [K in keyof SessionOptions]-?: NonNullable<SessionOptions[K]> };

const STACKS: ReadonlySet<unknown> = new Set(['full', 'redacted', 'none']);

function flag(value: unknown, name: string, who: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${who}: options.${name} must be a boolean`);
  return value;
}

function integer(value: unknown, fallback: number, min: number, max: number, name: string, who: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${who}: options.${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** The checked options with their defaults; `who` names the caller in error messages. */
export function sessionPolicy(options: SessionOptions, who: string): SessionPolicy {
  const errorStacks = options.errorStacks ?? 'redacted';
  if (!STACKS.has(errorStacks)) {
    throw new TypeError(`${who}: options.errorStacks must be 'full', 'redacted' or 'none'`);
  }
  return {
    allowPrototypeAccess: flag(options.allowPrototypeAccess, 'allowPrototypeAccess', who),
    allowWrites: flag(options.allowWrites, 'allowWrites', who),
    errorStacks,
    maxDepth: integer(options.maxDepth, SESSION_DEFAULTS.maxDepth, 1, 100_000, 'maxDepth', who),
    callTimeoutMs: integer(options.callTimeoutMs, SESSION_DEFAULTS.callTimeoutMs, 0, MAX_TIMEOUT_MS, 'callTimeoutMs', who),
    maxPendingCalls: integer(
      options.maxPendingCalls,
      SESSION_DEFAULTS.maxPendingCalls,
      1,
      Number.MAX_SAFE_INTEGER,
      'maxPendingCalls',
      who,
    ),
  };
}
