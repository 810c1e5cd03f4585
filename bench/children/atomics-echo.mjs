// The far end of the SharedArrayBuffer-only ping-pong (the floor for a synchronous call between
// two threads): a thread that does nothing but block in Atomics.wait and answer. Its layout is
// shared with remote-worker.mjs: [0] the requester's sequence number (-1 stops), [1] the last
// sequence answered, [2] the request's value, [3] the answer's value.
import { workerData } from 'node:worker_threads';

const cells = new Int32Array(workerData.buffer);
let seen = 0;
for (;;) {
  Atomics.wait(cells, 0, seen);
  const seq = Atomics.load(cells, 0);
  if (seq === -1) break;
  seen = seq;
  cells[3] = cells[2];
  Atomics.store(cells, 1, seq);
  Atomics.notify(cells, 1);
}
