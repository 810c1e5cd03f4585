/**
 * The target side of cross-thread leak checks: a worker thread or child process names the
 * functions a test may exercise, and runs the checks the test asks for with its own heap.
 * @packageDocumentation
 */
import {
  TAG,
  VERSION,
  isCheckMessage,
  type CheckFailure,
  type CheckRequest,
  type CheckResponse,
  type PlainOptions,
} from './check_protocol';
import { LeakError } from './leak_report';
import { expectNoLeak } from './no_leak';
import { track, type Tracker } from './track';

/** Functions a test may run in this thread, by name. */
export type LeakCheckFunctions = Record<string, (iteration: number) => unknown>;

interface Channel {
  where: string;
  send(message: CheckResponse): void;
  listen(handler: (message: unknown) => void): () => void;
}

// Required lazily so that importing weakwire/testing never loads worker_threads for nothing.
function defaultChannel(): Channel {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parentPort, threadId } = require('node:worker_threads') as typeof import('node:worker_threads');
  if (parentPort !== null) {
    const port = parentPort;
    return {
      where: `worker thread ${threadId}`,
      send: (message) => port.postMessage(message),
      listen(handler) {
        port.on('message', handler);
        return () => port.off('message', handler);
      },
    };
  }
  if (typeof process.send === 'function') {
    return {
      where: `child process ${process.pid}`,
      send: (message) => process.send!(message),
      listen(handler) {
        process.on('message', handler);
        return () => process.off('message', handler);
      },
    };
  }
  throw new Error(
    'serveLeakChecks: this is neither a worker thread nor a child process with an IPC channel ' +
      '(start it with child_process.fork or with stdio including "ipc")',
  );
}

function failure(error: unknown): CheckFailure {
  if (error instanceof LeakError) return { name: error.name, message: error.message, report: error.report };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/**
 * Serves leak checks for the test's thread: call it in a worker thread or a child process (forked
 * with an IPC channel) with the functions a test may exercise there. The test side uses
 * `leakTarget(worker)`; the code under test runs here, and the heap measured, the retainer paths
 * and the report all come from here. Returns a function that stops serving.
 *
 * @throws TypeError if `functions` is not an object of functions; Error outside a worker or child.
 */
export function serveLeakChecks(functions: LeakCheckFunctions): () => void {
  if (typeof functions !== 'object' || functions === null) {
    throw new TypeError(`serveLeakChecks: functions must be an object; got ${functions === null ? 'null' : typeof functions}`);
  }
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== 'function') throw new TypeError(`serveLeakChecks: functions.${name} must be a function; got ${typeof fn}`);
  }
  const channel = defaultChannel();
  const trackers = new Map<number, Tracker>();
  let nextTracker = 1;

  const lookup = (name: string): ((iteration: number) => unknown) => {
    const fn = Object.prototype.hasOwnProperty.call(functions, name) ? functions[name] : undefined;
    if (fn === undefined) {
      throw new Error(`serveLeakChecks (${channel.where}): no function named ${JSON.stringify(name)}; served: ${Object.keys(functions).join(', ')}`);
    }
    return fn;
  };
  const tracker = (id: number): Tracker => {
    const found = trackers.get(id);
    if (found === undefined) throw new Error(`serveLeakChecks (${channel.where}): no tracker ${id}`);
    return found;
  };

  const handle = async (request: CheckRequest): Promise<unknown> => {
    switch (request.op) {
      case 'noLeak': {
        const report = await expectNoLeak(lookup(request.name), request.options as PlainOptions).catch(
          (error: unknown) => {
            if (error instanceof LeakError) error.report.where = channel.where;
            throw error;
          },
        );
        report.where = channel.where;
        return report;
      }
      case 'track': {
        const id = nextTracker++;
        // In its own frame: nothing here keeps the returned object once track() has it.
        trackers.set(id, trackResult(lookup(request.name), request.label));
        return id;
      }
      case 'wait':
        return tracker(request.tracker).waitForCollection(request.options);
      case 'retained':
        return tracker(request.tracker).retained(request.options);
      case 'explain':
        return tracker(request.tracker).explain();
      case 'forget':
        trackers.delete(request.tracker);
        return null;
    }
  };

  return channel.listen((message) => {
    if (!isCheckMessage(message) || !('op' in message)) return;
    const request = message as CheckRequest;
    handle(request).then(
      (value) => channel.send({ [TAG]: VERSION, id: request.id, ok: true, value: value as never }),
      (error: unknown) => channel.send({ [TAG]: VERSION, id: request.id, ok: false, error: failure(error) }),
    );
  });
}

function trackResult(fn: (iteration: number) => unknown, label: string): Tracker {
  const result = fn(0);
  if ((typeof result !== 'object' || result === null) && typeof result !== 'function') {
    throw new TypeError(`track: the function must return an object or a function to watch; got ${result === null ? 'null' : typeof result}`);
  }
  return track(result, label);
}
