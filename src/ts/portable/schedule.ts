/**
 * The two things the portable backend needs from its host, found without importing any Node
 * built-in: a way to run a task on a later turn of the event loop, and a way to report an error
 * as uncaught without stopping the code that caught it.
 * @packageDocumentation
 */

type Task = () => void;

interface HostGlobals {
  setImmediate?: (task: Task) => unknown;
  MessageChannel?: new () => {
    port1: { onmessage: ((event: unknown) => void) | null };
    port2: { postMessage(message: unknown): void };
  };
  setTimeout?: (task: Task, ms: number) => unknown;
}

function pickScheduler(): (task: Task) => void {
  const host = globalThis as unknown as HostGlobals;
  // Node, Bun, Deno: the check phase of the loop that is already turning (a FinalizationRegistry
  // callback runs as its own task), so the batch runs one step later, not one timer later.
  const setImmediate = host.setImmediate;
  if (typeof setImmediate === 'function') return (task) => void setImmediate(task);
  // Browsers: a message to ourselves is a task without setTimeout's 4 ms clamping.
  const MessageChannel = host.MessageChannel;
  if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel();
    const queue: Task[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (task) => {
      queue.push(task);
      channel.port2.postMessage(null);
    };
  }
  const setTimeout = host.setTimeout;
  if (typeof setTimeout === 'function') return (task) => void setTimeout(task, 0);
  throw new Error(
    'weakwire/portable: this realm has neither setImmediate, MessageChannel nor setTimeout, ' +
      'so destructor callbacks could never run',
  );
}

let scheduler: ((task: Task) => void) | undefined;

/** Runs `task` on a later event-loop turn (a macrotask, never inside the current one). */
export function later(task: Task): void {
  (scheduler ??= pickScheduler())(task);
}

/**
 * Reports `error` the way an uncaught error is reported here (`'uncaughtException'` on Node, the
 * `error` event in a page), as FinalizationRegistry callbacks and Node-API finalizers are, while
 * the caller carries on: it is thrown from a microtask of its own.
 */
export function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
