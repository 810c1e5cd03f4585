import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const dist = join(__dirname, '..', '..', 'dist');
const fixture = join(__dirname, '..', 'fixtures', 'weak', 'worker.js');

describe('in a worker thread', () => {
  test('callbacks run in the worker, its records are its own, and terminating it with a target alive is clean', async () => {
    const worker = new Worker(fixture, { workerData: { dist } });
    const errors: Error[] = [];
    worker.on('error', (error) => errors.push(error));
    const report = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error('no report from the worker within 60 s')), 60_000);
      worker.once('message', (message) => {
        clearTimeout(timeout);
        resolve(message as Record<string, unknown>);
      });
    });
    expect(report).toEqual({
      ran: ['first', 'second'],
      dead: true,
      // The live target's reference and destructor are all that remain.
      stats: { trackedObjects: 1, pendingCallbacks: 0, mapEntries: 1 },
      alive: true,
    });
    await worker.terminate();
    expect(errors).toEqual([]);
  });
});
