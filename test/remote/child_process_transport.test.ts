// The child-process transport's own details, over real forked children (the child end is the
// fixture test/fixtures/remote/child_process_transport_peer.js, which loads dist/): sharing the
// IPC channel with the application, serialization modes, exit reports. What every transport does
// is in the conformance suite (test/remote/transports/child_process.test.ts).
import { ChildProcess, fork } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import type { Transport, WireMessage } from '../../src/ts/remote/transport';
import { childProcessTransport, type IpcEndpoint } from '../../src/ts/remote/transports/child_process';

const PEER = join(__dirname, '..', 'fixtures', 'remote', 'child_process_transport_peer.js');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function spawnPeer(): ChildProcess {
  // stderr is piped so a deliberate crash's stack stays out of the test output.
  const child = fork(PEER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.push(child);
  return child;
}

function record(transport: Transport) {
  const messages: WireMessage[] = [];
  const closes: Array<Error | undefined> = [];
  let onClose: (error: Error | undefined) => void = () => {};
  const closed = new Promise<Error | undefined>((resolve) => (onClose = resolve));
  transport.start({
    message: (message) => messages.push(message),
    close: (error) => {
      closes.push(error);
      onClose(error);
    },
  });
  return { messages, closes, closed };
}

async function until(condition: () => boolean, what: string, attempts = 1000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The next application (non-weakwire) message from the child that matches. */
function appMessage(child: ChildProcess, app: string): Promise<{ app: string; error?: string }> {
  return new Promise((resolve) => {
    const listener = (message: { app?: string }) => {
      if (message && message.app === app) {
        child.removeListener('message', listener);
        resolve(message as { app: string });
      }
    };
    child.on('message', listener);
  });
}

/**
 * `exitGraceMs`: how long the transport waits for the child's exit status after its channel
 * disconnects (default 500 ms). A child printing an uncaught exception can take longer than that
 * under ASan on a loaded machine, and the tests that read the status wait for it.
 */
async function connectedPeer(exitGraceMs?: number) {
  const child = spawnPeer();
  const transport = childProcessTransport(child, exitGraceMs === undefined ? undefined : { exitGraceMs });
  const seen = record(transport);
  await until(() => seen.messages.length > 0, "the child's ready message");
  expect(seen.messages.shift()).toEqual({ op: 'ready' });
  return { child, transport, seen };
}

test("the application's own IPC messages pass untouched and never reach the transport", async () => {
  const { child, transport, seen } = await connectedPeer();
  const pong = appMessage(child, 'pong');
  child.send({ app: 'ping' });
  await pong;
  const raw = appMessage(child, 'raw from child');
  transport.send({ op: 'raw' });
  await raw;
  expect(seen.messages).toEqual([]);
});

test("a child forked with serialization: 'advanced' works the same", async () => {
  const child = fork(PEER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
  children.push(child);
  const transport = childProcessTransport(child);
  const seen = record(transport);
  await until(() => seen.messages.length === 1, 'the ready message');
  transport.send({ op: 'echo', value: 'structured' });
  await until(() => seen.messages.length === 2, 'the echo');
  expect(seen.messages).toEqual([{ op: 'ready' }, { op: 'echoed', value: 'structured' }]);
});

test('a transport on another channel ignores weakwire traffic on the default one', async () => {
  const child = spawnPeer();
  const other = record(childProcessTransport(child, { channel: 'other' }));
  const main = record(childProcessTransport(child));
  await until(() => main.messages.length === 1, 'the ready message');
  expect(other.messages).toEqual([]);
});

describe('the error the parent transport closes with names how the child ended', () => {
  test('killed by a signal: the error names the signal', async () => {
    const { child, transport, seen } = await connectedPeer(30_000);
    transport.send({ op: 'kill' });
    const error = await seen.closed;
    expect(error?.message).toBe(`child process ${child.pid} was killed by signal SIGKILL`);
  });

  test('process.exit(3): the error names the exit code', async () => {
    const { child, transport, seen } = await connectedPeer(30_000);
    transport.send({ op: 'exit', code: 3 });
    expect((await seen.closed)?.message).toBe(`child process ${child.pid} exited with code 3`);
  });

  test('an uncaught exception in the child: exit code 1', async () => {
    const { child, transport, seen } = await connectedPeer(30_000);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    transport.send({ op: 'throw' });
    expect((await seen.closed)?.message).toBe(`child process ${child.pid} exited with code 1`);
    expect(stderr).toMatch(/child crashed on purpose/);
    expect(seen.closes).toHaveLength(1);
  });
});

describe('closing on purpose', () => {
  test("parent close(): the IPC channel stays usable for the application", async () => {
    const { child, transport, seen } = await connectedPeer();
    const childClosed = appMessage(child, 'closed');
    transport.close();
    await childClosed;
    await seen.closed;
    const pong = appMessage(child, 'pong');
    child.send({ app: 'ping' });
    await pong;
  });

  test("the parent disconnecting the channel closes the child's transport with an error", async () => {
    const { child } = await connectedPeer();
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = once(child, 'exit');
    child.disconnect();
    expect(await exited).toEqual([0, null]);
    expect(JSON.parse(stdout)).toEqual({
      app: 'closed',
      error: 'the IPC channel to the parent process closed',
    });
  });
});

describe('types', () => {
  test('both ends fit the endpoint type without casts: ChildProcess and process', () => {
    // Compile-time check (npm run typecheck): these assignments fail to compile if they stop fitting.
    const parentEnd: IpcEndpoint = spawnPeer();
    const childEnd: IpcEndpoint = process;
    expect(typeof parentEnd.on).toBe('function');
    expect(typeof childEnd.on).toBe('function');
  });
});

describe('bad input', () => {
  test('an emitter without an IPC channel is refused with a TypeError that says how to get one', () => {
    expect(() => childProcessTransport(new EventEmitter() as never)).toThrow(
      new TypeError(
        'endpoint has no IPC channel: fork() the child, or spawn it with an "ipc" stdio entry',
      ),
    );
  });

  test('a non-emitter is refused with a TypeError naming the argument', () => {
    expect(() => childProcessTransport(42 as never)).toThrow(/^endpoint must be/);
  });

  test('an empty channel name is refused', () => {
    const child = spawnPeer();
    expect(() => childProcessTransport(child, { channel: '' })).toThrow(
      new TypeError('options.channel must be a non-empty string'),
    );
  });
});
