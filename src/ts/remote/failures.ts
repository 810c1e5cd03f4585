/**
 * The one channel for failures nobody awaits: a remote call whose promise the application never
 * subscribed to, a callback of a closed session, a message the transport lost. They are emitted
 * as `'error'` on the RemoteClient or RemoteSession; with no listener they become a process
 * warning, never an unhandled rejection or an uncaught exception.
 */
import { Error } from './builtins';
import type { EventEmitter } from 'node:events';
import { codeOf, RemoteError } from './errors';

function asError(failure: unknown): Error {
  if (failure instanceof Error || (typeof failure === 'object' && failure !== null && 'message' in failure && 'name' in failure)) {
    return failure as Error;
  }
  let text: string;
  try {
    text = String(failure);
  } catch {
    text = 'a value that cannot be printed';
  }
  return new Error(`A remote call failed with ${text}`, { cause: failure });
}

/** An emitter that may take the failure, and what it passes to listeners after the error. */
export interface FailureListener {
  readonly emitter: EventEmitter;
  readonly extra?: readonly unknown[];
}

export class FailureChannel {
  private closedReported = false;

  /** The first of `listeners` with an 'error' listener gets each failure. */
  constructor(private readonly listeners: readonly FailureListener[]) {}

  /** Reports one failure. Calls on a closed session are reported once per session. */
  readonly report = (failure: unknown): void => {
    if (codeOf(failure) === 'ERR_REMOTE_CLOSED') {
      if (this.closedReported) return;
      this.closedReported = true;
      failure = new RemoteError(
        'ERR_REMOTE_CLOSED',
        `${asError(failure).message}. A call on this closed session was dropped; later ones are dropped silently`,
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
    if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
      // By parts rather than the Error itself: an Error of another realm (a vm context, a test
      // runner's sandbox) is not `instanceof Error` to process.emitWarning.
      const code = codeOf(error);
      process.emitWarning(error.message, { type: error.name || 'Error', ...(code === undefined ? {} : { code }) });
    } else {
      console.warn(error);
    }
  };
}
