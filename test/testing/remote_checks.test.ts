import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import '../../src/ts/testing/jest';
import { expectNoLeak, LeakError, leakTarget, type LeakTarget } from '../../src/ts/testing';

// The code under test runs in a worker thread or a child process; the checks are asked for here.
const dist = join(__dirname, '..', '..', 'dist');
const fixture = join(__dirname, '..', 'fixtures', 'testing', 'leak_target.js');

describe('leak checks in a worker thread', () => {
  let worker: Worker;
  let target: LeakTarget;

  beforeAll(() => {
    worker = new Worker(fixture, { workerData: { dist } });
    target = leakTarget(worker);
  });

  afterAll(async () => {
    target.close();
    await worker.terminate();
  });

  test('a leak that exists only in the worker fails, measured and reported from there', async () => {
    const error = await expectNoLeak(target.fn('leakyHandle'), { label: 'leakyHandle', explain: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeakError);
    const report = (error as LeakError).report;
    expect(report.where).toBe(`worker thread ${worker.threadId}`);
    expect((error as LeakError).message).toMatch(/^expectNoLeak: leakyHandle keeps growing over \d+ calls .*\(in worker thread \d+\):/);
    expect(report.figures.find((f) => f.metric === 'heapBytes')!.perCall).toBeGreaterThan(200);
  });

  test('clean code in the worker passes, with the report from there', async () => {
    const report = await target.expectNoLeak('cleanHandle', { label: 'cleanHandle' });
    expect(report.leaking).toBe(false);
    expect(report.where).toBe(`worker thread ${worker.threadId}`);
  });

  test('an object the worker drops is collected there (matcher on a remote tracker)', async () => {
    await expect(target.track('openTemporary')).toBeCollected();
  });

  test('an object the worker keeps fails toBeCollected, with the retainer path from the worker', async () => {
    await expect(expect(target.track('openSession', 'session 1')).toBeCollected({ timeout: 100 })).rejects.toThrow(
      /expected session 1 to be collected, but it is still alive after \d+ GC rounds \(\d+ ms\): something still references it\nretained through:\n[^]*variable sessions -> Map\n\s+entry -> Object {2}<- session 1/,
    );
  });

  test('an unknown function name is an error naming what is served', async () => {
    await expect(target.expectNoLeak('nope')).rejects.toThrow(
      /no function named "nope"; served: leakyHandle, cleanHandle, openSession, openTemporary/,
    );
  });
});

describe('leak checks in a child process', () => {
  let child: ChildProcess;
  let target: LeakTarget;

  beforeAll(() => {
    child = fork(fixture, [dist], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    target = leakTarget(child);
  });

  afterAll(() => {
    target.close();
    child.kill();
  });

  test('a leak that exists only in the child fails, reported from there', async () => {
    const error = await target.expectNoLeak('leakyHandle', { explain: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakError);
    expect((error as LeakError).report.where).toBe(`child process ${child.pid}`);
  });

  test('an object the child drops is collected there', async () => {
    await expect(target.track('openTemporary').collected()).resolves.toBeGreaterThanOrEqual(0);
  });

  test('checks pending when the child dies reject instead of hanging', async () => {
    const pending = target.expectNoLeak('cleanHandle', { iterations: 50_000, warmup: 0 });
    child.kill('SIGKILL');
    await expect(pending).rejects.toThrow(/exited .* with checks pending/);
  });
});

describe('leakTarget bad input', () => {
  test('an endpoint that is neither a Worker nor a ChildProcess with IPC is a TypeError', () => {
    expect(() => leakTarget({} as never)).toThrow(
      new TypeError('leakTarget: endpoint must be a Worker or a ChildProcess with an IPC channel'),
    );
  });
});
