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
/**
 * A location with an absolute file, anywhere in a frame: V8 prints one after `at ` (anonymous
 * functions, `at async /dir/file.js:1:2`) or inside parentheses (named functions, and the
 * `eval at f (/dir/file.js:1:2)` origins of eval and new Function code, which nest). Its file is
 * a POSIX or Windows path or a file: URL; a directory may hold spaces and parentheses, so the
 * file runs to the first `:line:column`.
 */
const LOCATION = /(\(|\bat (?:async )?)((?:file:\/\/|\/|[A-Za-z]:[\\/]|\\\\).*?)(:\d+:\d+)/g;

/** A frame with every absolute file in it reduced to the file's name. */
function redactFrame(line: string): string {
  return line.replace(
    LOCATION,
    (_match, before: string, file: string, position: string) =>
      `${before}${file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1)}${position}`,
  );
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
