/**
 * The one channel for failures nobody awaits: a remote call whose promise the application never
 * subscribed to, a callback of a closed session, a message the transport lost. They are emitted
 * as `'error'` on the RemoteClient or RemoteSession; with no listener they become a process
 * warning, never an unhandled rejection or an uncaught exception.
 */
import { Error } from './builtins';
import type { EventEmitter } from './platform';
import { codeOf, RemoteError } from './errors';
import { WARNINGS_PER_SESSION } from './limits';

/**
 * `value` as text without running any of its code: a string as it is, other primitives
 * converted, anything else undefined. Failures come from the peer: calling their `toString`
 * could call the peer (a remote function under that name), or throw.
 */
function textOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    default:
      return undefined;
  }
}

/** Member `key` of `value` as text (see textOf), or undefined when it is not text or throws. */
function memberText(value: object, key: string): string | undefined {
  try {
    return textOf((value as Record<string, unknown>)[key]);
  } catch {
    return undefined;
  }
}

/** A short description of a failure that is not an Error, touching no code of it. */
function describeFailure(failure: unknown): string {
  const text = textOf(failure);
  if (text !== undefined) return text;
  try {
    return Object.prototype.toString.call(failure);
  } catch {
    return 'a value that cannot be printed';
  }
}

function asError(failure: unknown): Error {
  try {
    if (
      failure instanceof Error ||
      (typeof failure === 'object' && failure !== null && 'message' in failure && 'name' in failure)
    ) {
      return failure as Error;
    }
  } catch {
    // a Proxy whose traps throw: described below
  }
  return new Error(`A remote call failed with ${describeFailure(failure)}`, { cause: failure });
}

/**
 * Node turns a warning of this type into an exception under --throw-deprecation (and hides it
 * under --no-deprecation): the peer chooses error names, so it never gets to choose that one.
 */
const DEPRECATION = 'DeprecationWarning';

/** Emits `error` as a process warning, by parts that are always strings. Never throws. */
function warn(error: Error): void {
  const message = memberText(error, 'message') ?? 'A remote call failed';
  const name = memberText(error, 'name') || 'Error';
  const code = codeOf(error);
  try {
    if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
      // By parts rather than the Error itself: an Error of another realm (a vm context, a test
      // runner's sandbox) is not `instanceof Error` to process.emitWarning.
      const type = name === DEPRECATION ? 'Error' : name;
      process.emitWarning(message, { type, ...(code === undefined ? {} : { code }) });
    } else {
      console.warn(error);
    }
  } catch {
    // Reporting must not become the failure: there is nowhere further to send it.
  }
}

/** An emitter that may take the failure, and what it passes to listeners after the error. */
export interface FailureListener {
  readonly emitter: EventEmitter;
  readonly extra?: readonly unknown[];
}

export class FailureChannel {
  private closedReported = false;
  /** Warnings printed for this session (see WARNINGS_PER_SESSION). */
  private warned = 0;

  /** The first of `listeners` with an 'error' listener gets each failure. */
  constructor(private readonly listeners: readonly FailureListener[]) {}

  /**
   * Reports one failure. Calls on a closed session are reported once per session; without a
   * listener, at most WARNINGS_PER_SESSION failures become warnings.
   */
  readonly report = (failure: unknown): void => {
    if (codeOf(failure) === 'ERR_REMOTE_CLOSED') {
      if (this.closedReported) return;
      this.closedReported = true;
      const closed = memberText(asError(failure), 'message') ?? 'Remote session closed';
      failure = new RemoteError(
        'ERR_REMOTE_CLOSED',
        `${closed}. A call on this closed session was dropped; later ones are dropped silently`,
        { cause: failure },
      );
    }
    const error = asError(failure);
    for (const { emitter, extra = [] } of this.listeners) {
      if (emitter.listenerCount('error') > 0) {
        emitter.emit('error', error, ...extra);
        return;
      }
    }
    if (this.warned < WARNINGS_PER_SESSION) warn(error);
    else if (this.warned === WARNINGS_PER_SESSION) {
      warn(
        new Error(
          `More failures of this remote session are not shown as warnings (${WARNINGS_PER_SESSION} were); ` +
            "listen to its 'error' event to see them all",
        ),
      );
    }
    if (this.warned <= WARNINGS_PER_SESSION) this.warned++;
  };
}
