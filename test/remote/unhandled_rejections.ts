/**
 * Unhandled promise rejections, counted on the real process. Jest gives each test file a copy of
 * `process` whose events Node never emits, so the listener goes on the real one, reached through
 * the module loader (which jest does not sandbox for built-in modules).
 */
import Module from 'node:module';

const realProcess = (Module as unknown as { _load(request: string): NodeJS.Process })._load('node:process');

export interface RejectionWatch {
  /** The reasons of the rejections that were unhandled at the end of a microtask checkpoint. */
  readonly reasons: unknown[];
  stop(): void;
}

export function watchUnhandledRejections(): RejectionWatch {
  const reasons: unknown[] = [];
  const listener = (reason: unknown): void => void reasons.push(reason);
  realProcess.on('unhandledRejection', listener);
  return { reasons, stop: () => void realProcess.off('unhandledRejection', listener) };
}
