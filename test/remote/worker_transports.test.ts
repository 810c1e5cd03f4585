/**
 * The worker-thread transports seen from the main thread: the sync channel (main blocks, the
 * worker answers) and the async Worker / parentPort pair.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { connect, transports, type RemoteClient } from '../../src/ts/remote';

const FIXTURE = join(__dirname, '..', 'fixtures', 'remote', 'server_worker.js');

async function syncClientOfWorker(options: { timeoutMs?: number; bufferSize?: number } = {}) {
  const worker = new Worker(FIXTURE, { workerData: { mode: 'sync', bufferSize: options.bufferSize } });
  const [{ end }] = await once(worker, 'message');
  const remote = connect(transports.workerSyncClient(end, { timeoutMs: options.timeoutMs }), { sync: true });
  return { worker, remote };
}

describe('worker-sync transport (main thread blocks, worker answers)', () => {
  let worker: Worker;
  let remote: RemoteClient<true>;

  afterEach(async () => {
    remote?.close();
    await worker?.terminate();
  });

  test('sync calls return results directly', async () => {
    ({ worker, remote } = await syncClientOfWorker());
    const tools = remote.require('tools');
    expect(tools.add(2, 3)).toBe(5);
  });

  test('sync mode: member reads, writes, method calls and new return results directly', async () => {
    ({ worker, remote } = await syncClientOfWorker());
    const tools = remote.require('tools');
    const counter = new tools.Counter(5);
    expect(counter.value).toBe(5);
    counter.value = 7;
    expect(counter.value).toBe(7);
    expect(counter.increment(3)).toBe(10);
    expect(typeof tools.add).toBe('function');
    const later = tools.later('v'); // a returned promise is a local Promise settled later
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe('v');
  });

  test('an arguments object structured clone refuses whole goes tagged, in a request and in an answer', async () => {
    ({ worker, remote } = await syncClientOfWorker());
    const tools = remote.require('tools');
    const args = (function (..._: unknown[]) {
      // eslint-disable-next-line prefer-rest-params
      return arguments;
    })(1, 'two');
    expect(tools.echo(args)).toEqual([{ 0: 1, 1: 'two' }]);
    expect(tools.argumentsOf(3, 4)).toEqual({ 0: 3, 1: 4 });
  });

  test('a value whose getter throws once structured clone reads it fails only its sync call, with ERR_REMOTE_UNENCODABLE', async () => {
    ({ worker, remote } = await syncClientOfWorker());
    const tools = remote.require('tools');
    let reads = 0;
    const twoFaced = {
      get x() {
        if (reads++ === 0) return 1; // plain to the check; the clone and the tagged encoding throw
        throw new Error('read again');
      },
    };
    expect(() => tools.echo(twoFaced)).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_UNENCODABLE' }));
    expect(reads).toBeGreaterThan(2); // read again for the tagged encoding, which threw too
    expect(tools.add(1, 2)).toBe(3);
  });

  test('answers larger than the shared buffer arrive whole', async () => {
    ({ worker, remote } = await syncClientOfWorker({ bufferSize: 1024 }));
    const tools = remote.require('tools');
    expect(tools.text(100)).toHaveLength(100);
    const big = tools.text(3_000_000);
    expect(big).toHaveLength(3_000_000);
    expect(tools.text(10)).toBe('x'.repeat(10)); // and the channel still works after it
  });

  test('a worker that exits during a sync call fails the call instead of hanging', async () => {
    ({ worker, remote } = await syncClientOfWorker());
    const tools = remote.require('tools');
    const exited = once(worker, 'exit');
    expect(() => tools.exit(3)).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
    expect(() => tools.add(1, 1)).toThrow(/Remote session closed/);
    await exited;
  });

  test('a worker that crashed between calls fails the next call at once, even before the parent yields', async () => {
    ({ worker, remote } = await syncClientOfWorker({ timeoutMs: 20_000 }));
    const tools = remote.require('tools');
    const errored = once(worker, 'error');
    tools.crashSoon(20);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // block without yielding
    let failure: any;
    try {
      tools.add(1, 1);
    } catch (e) {
      failure = e;
    }
    expect(failure?.code).toBe('ERR_REMOTE_CLOSED');
    expect(failure?.cause?.code).toBe('ERR_REMOTE_CLOSED'); // the closed flag, not the timeout
    const [error] = await errored;
    expect((error as Error).message).toBe('worker crashed');
  });

  test('a peer that does not answer in time fails the call with a timeout', async () => {
    ({ worker, remote } = await syncClientOfWorker({ timeoutMs: 300 }));
    const tools = remote.require('tools');
    let error: any;
    try {
      tools.busy(3000);
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe('ERR_REMOTE_CLOSED');
    expect(error?.cause?.code).toBe('ERR_REMOTE_TIMEOUT');
    expect(error?.message).toMatch(/no answer within 300 ms/);
    expect(remote.closed).toBe(true);
  });

  test('a sync request the answering side cannot read wakes the requester at once with an error', async () => {
    worker = new Worker(FIXTURE, { workerData: { mode: 'sync' } });
    const [{ end }] = await once(worker, 'message');
    const transport = transports.workerSyncClient(end, { timeoutMs: 20_000 });
    transport.start({ message() {}, close() {} });
    const started = Date.now();
    // Not a message: the answering side drops it (reported there), and must still wake us.
    expect(() => transport.requestSync!(5 as never)).toThrow(
      expect.objectContaining({ code: 'ERR_REMOTE_CLOSED', message: expect.stringMatching(/could not read the request/) }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(() => transport.send({ op: 'after' })).toThrow(expect.objectContaining({ code: 'ERR_REMOTE_CLOSED' }));
  });

  test('workerSyncClient rejects what is not a channel end', () => {
    expect(() => transports.workerSyncClient({} as never)).toThrow(TypeError);
    expect(() => transports.workerSyncChannel({ bufferSize: 1 })).toThrow(/bufferSize/);
  });

  test('workerSyncClient refuses a shared buffer too small for the header with a TypeError naming `end`', () => {
    const data = new MessageChannel();
    const answers = new MessageChannel();
    try {
      // It made an Int32Array over the header without looking: a RangeError, "Invalid typed array length: 4".
      expect(() =>
        transports.workerSyncClient({ port: data.port1, answers: answers.port1, buffer: new SharedArrayBuffer(8) }),
      ).toThrow(
        expect.objectContaining({ name: 'TypeError', message: 'workerSyncClient: end must be the `end` of a workerSyncChannel()' }),
      );
    } finally {
      data.port1.close();
      answers.port1.close();
    }
  });
});

describe('Worker / parentPort transport (async)', () => {
  test('pending calls reject with a clear error when the worker dies', async () => {
    const worker = new Worker(FIXTURE, { workerData: { mode: 'parentPort' } });
    const remote = connect(transports.messagePort(worker));
    const tools = await remote.require('tools');
    const pending = tools.never();
    await worker.terminate();
    await expect(pending).rejects.toThrow(/Remote session closed \(the worker exited with code 1\)/);
    // After the session closed, an async proxy never throws: every use is a rejected promise.
    await expect(tools.add(1, 2)).rejects.toThrow(/Remote session closed .*: cannot use remote object #1/);
    await expect(tools.add).rejects.toThrow(/Remote session closed .*: cannot use remote object #1/);
    expect(remote.stats().proxies).toBe(0);
  });
});
