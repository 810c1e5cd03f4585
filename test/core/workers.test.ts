import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { BACKENDS } from './backends';
import { gcUntil } from '../../src/ts/testing';

const dist = join(__dirname, '..', '..', 'dist');
const fixture = (name: string) => join(__dirname, '..', 'fixtures', 'core', name);

interface ChurnReport {
  startStats: { trackedObjects: number; pendingCallbacks: number; mapEntries: number };
  stats: { trackedObjects: number; pendingCallbacks: number; mapEntries: number };
  ran: number;
  kept: number;
}

const ENTRY: Record<string, string> = { native: dist, portable: join(dist, 'portable') };

describe.each(BACKENDS)('%s backend in worker threads', (backend, { setDestructor, stats }) => {
  const entry = ENTRY[backend];
  const startChurn = (objects: number): Worker =>
    new Worker(fixture('worker_churn.js'), { workerData: { dist: entry, objects } });

  test('each worker has its own native state, starting at zero', async () => {
    const mainKept = {};
    const cancel = setDestructor(mainKept, () => {});
    const worker = startChurn(100);
    const [report] = (await once(worker, 'message')) as [ChurnReport];
    await worker.terminate();
    expect(report.startStats).toEqual({ trackedObjects: 0, pendingCallbacks: 0, mapEntries: 0 });
    expect(report.stats.trackedObjects).toBeGreaterThanOrEqual(50);
    expect(stats().trackedObjects).toBe(1); // the worker's records never show up here
    cancel();
  });

  test('a destructor registered in a worker runs in that worker', async () => {
    const worker = new Worker(fixture('worker_destructor.js'), {
      workerData: { dist: entry },
    });
    const [message] = (await once(worker, 'message')) as [{ ran: string; stats: object }];
    worker.postMessage('stop');
    await worker.terminate();
    expect(message.ran).toBe('in-worker');
  });

  test('4 workers terminated with destructors pending, 20 rounds, do not crash or leak into main', async () => {
    const before = stats();
    for (let round = 0; round < 20; round++) {
      const workers = Array.from({ length: 4 }, () => startChurn(2000));
      const reports = (await Promise.all(workers.map((w) => once(w, 'message')))).map(
        ([report]) => report as ChurnReport,
      );
      for (const report of reports) expect(report.stats.trackedObjects).toBeGreaterThanOrEqual(1000);
      const codes = await Promise.all(workers.map((w) => w.terminate()));
      expect(codes).toEqual([1, 1, 1, 1]);
    }
    await gcUntil(() => stats().trackedObjects === before.trackedObjects);
    expect(stats()).toEqual(before);
  });

  test('a worker exiting on its own with destructors pending exits cleanly', async () => {
    const worker = new Worker(
      `const { setDestructor, IDWeakMap } = require(${JSON.stringify(entry)});
       globalThis.kept = [];
       const map = new IDWeakMap();
       for (let i = 0; i < 1000; i++) { const o = {}; kept.push(o); setDestructor(o, () => {}); map.set(i, o); }`,
      { eval: true },
    );
    const [code] = await once(worker, 'exit');
    expect(code).toBe(0);
  });
});
