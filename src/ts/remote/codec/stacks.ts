/**
 * Stack traces across the wire: what the sender lets out (`errorStacks`), and how the receiver
 * marks a stack as remote.
 */

/**
 * How much of an error's stack trace goes to the peer:
 * - `'full'`: the stack as it is, file paths included;
 * - `'redacted'`: function names and file names with line numbers, no directories;
 * - `'none'`: no stack; the peer sees only the error's name and message.
 */
export type ErrorStacks = 'full' | 'redacted' | 'none';

const FRAME = /^\s+at /;
/** `at name (location)` or `at location`, where a location is `file:line:column`. */
const FRAME_PARTS = /^(\s+at (?:.*? \()?)(.+?)(:\d+:\d+\)?)$/;
/** An absolute file: a POSIX or Windows path, or a file: URL. */
const ABSOLUTE = /^(?:file:\/\/|\/|[A-Za-z]:[\\/]|\\\\)/;

/** A frame with its file reduced to the file's name, when the file is an absolute path. */
function redactFrame(line: string): string {
  const parts = FRAME_PARTS.exec(line);
  if (parts === null || !ABSOLUTE.test(parts[2])) return line;
  const file = parts[2].slice(Math.max(parts[2].lastIndexOf('/'), parts[2].lastIndexOf('\\')) + 1);
  return `${parts[1]}${file}${parts[3]}`;
}

/** The stack to send under `policy`, or undefined for none. */
export function outgoingStack(stack: unknown, policy: ErrorStacks): string | undefined {
  if (typeof stack !== 'string' || policy === 'none') return undefined;
  if (policy === 'full') return stack;
  return stack
    .split('\n')
    .filter((line) => FRAME.test(line))
    .map(redactFrame)
    .join('\n');
}

/** A received stack, headed by the error and marked as coming from the peer. */
export function incomingStack(name: string, message: string, stack: string | undefined): string {
  const frames = stack === undefined ? [] : stack.split('\n').filter((line) => FRAME.test(line));
  return `${name}: ${message}\n    [remote stack]${frames.length > 0 ? `\n${frames.join('\n')}` : ''}`;
}
