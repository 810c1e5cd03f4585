// The client thread of the remote benchmark: measures every channel, then reports to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { benchRequire, loadRemote } from '../lib/weakwire.mjs';
import { measureRounds } from '../lib/rounds.mjs';

setFlagsFromString('--expose-gc');
globalThis.gc ??= runInNewContext('gc');
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function main() {
  const { remote } = loadRemote();
  const { connect, transports } = remote;
  const Comlink = benchRequire('comlink');
  const nodeEndpoint = benchRequire('comlink/dist/umd/node-adapter');
  const d = workerData;

  const syncClient = connect(transports.workerSyncClient(d.syncEnd, { timeoutMs: 60_000 }), { sync: true });
  const asyncClient = connect(transports.messagePort(d.asyncPort));
  await asyncClient.ready;
  const syncBench = syncClient.require('bench');
  const asyncBench = await asyncClient.require('bench');

  const rawSync = transports.workerSyncClient(d.rawSyncEnd, { timeoutMs: 60_000 });
  rawSync.start({ message: () => {}, close: () => {} });
  const rawPort = d.rawAsyncPort;
  let pending = null;
  rawPort.on('message', (m) => pending(m));
  const rawPing = (x) =>
    new Promise((resolve) => {
      pending = resolve;
      rawPort.postMessage(x);
    });
  // SharedArrayBuffer-only ping-pong with atomics-echo.mjs (layout there).
  const cells = new Int32Array(d.atomicsBuffer);
  let seq = 0;
  const atomicsPing = (x) => {
    cells[2] = x;
    Atomics.store(cells, 0, ++seq);
    Atomics.notify(cells, 0);
    while (Atomics.load(cells, 1) !== seq) Atomics.wait(cells, 1, seq - 1);
    return cells[3];
  };
  const comlinkApi = Comlink.wrap(nodeEndpoint(d.comlinkPort));

  const calls = 200;
  const concurrent = 10_000;
  const message = { op: 'ping', x: 1 };
  const timings = d.skipCalls ? {} : await measureRounds(
    [
      {
        name: 'remote call (sync)',
        opsPerCall: calls,
        fn: () => {
          for (let i = 0; i < calls; i++) syncBench.ping(i);
        },
      },
      {
        name: 'raw sync round trip',
        opsPerCall: calls,
        fn: () => {
          for (let i = 0; i < calls; i++) rawSync.requestSync(message);
        },
      },
      {
        name: 'Atomics ping-pong',
        opsPerCall: calls,
        fn: () => {
          for (let i = 0; i < calls; i++) if (atomicsPing(i) !== i) throw new Error('Atomics ping-pong answered wrong');
        },
      },
      {
        name: 'remote call (async)',
        opsPerCall: calls,
        fn: async () => {
          for (let i = 0; i < calls; i++) await asyncBench.ping(i);
        },
      },
      {
        name: 'raw postMessage ping-pong',
        opsPerCall: calls,
        fn: async () => {
          for (let i = 0; i < calls; i++) await rawPing(message);
        },
      },
      {
        name: 'comlink call',
        opsPerCall: calls,
        fn: async () => {
          for (let i = 0; i < calls; i++) await comlinkApi.ping(i);
        },
      },
      // Throughput: 10,000 calls in flight at once, each answered as it arrives.
      {
        name: 'remote calls, 10,000 concurrent (async)',
        opsPerCall: concurrent,
        fn: () => Promise.all(Array.from({ length: concurrent }, (_, i) => asyncBench.ping(i))),
      },
      {
        name: 'comlink calls, 10,000 concurrent',
        opsPerCall: concurrent,
        fn: () => Promise.all(Array.from({ length: concurrent }, (_, i) => comlinkApi.ping(i))),
      },
    ],
    { rounds: d.rounds, time: d.time, iterations: 5 },
  );

  const gcUntil = async (done, attempts = 300) => {
    for (let i = 0; i < attempts && !done(); i++) {
      globalThis.gc();
      await tick();
    }
    return done();
  };
  const settled = () => syncClient.stats().proxies <= 1 && syncClient.stats().pendingFrees === 0;

  // for (i < 10000) remote.require('os'): the same module each time.
  await gcUntil(settled);
  const before = syncClient.stats();
  const n = 10_000;
  const t0 = performance.now();
  let os;
  for (let i = 0; i < n; i++) os = syncClient.require('os');
  const ms = performance.now() - t0;
  if (typeof os.platform() !== 'string') throw new Error('os proxy does not work');
  os = null;
  await gcUntil(settled);
  const after = syncClient.stats();
  const requireLoop = {
    n,
    ms,
    proxiesCreated: after.proxiesCreated - before.proxiesCreated,
    freeMessagesSent: after.freeMessagesSent - before.freeMessagesSent,
  };

  // 10,000 distinct proxies, dropped together.
  const b2 = syncClient.stats();
  let held = [];
  const t1 = performance.now();
  for (let i = 0; i < n; i++) held.push(syncBench.make());
  const makeMs = performance.now() - t1;
  held = null;
  const collected = await gcUntil(settled);
  const a2 = syncClient.stats();
  const dying = {
    n,
    makeMs,
    collected,
    proxiesCreated: a2.proxiesCreated - b2.proxiesCreated,
    freeMessagesSent: a2.freeMessagesSent - b2.freeMessagesSent,
    proxiesLeft: a2.proxies,
  };

  // Optional: a registry with many live objects (scaling).
  let live = null;
  if (d.liveObjects > 0) {
    const b3 = syncClient.stats();
    const m0 = process.memoryUsage();
    let keep = new Array(d.liveObjects);
    const t3 = performance.now();
    for (let i = 0; i < d.liveObjects; i++) keep[i] = syncBench.make();
    const createMs = performance.now() - t3;
    globalThis.gc();
    const m1 = process.memoryUsage();
    const t4 = performance.now();
    for (let i = 0; i < 1000; i++) syncBench.ping(i);
    const callWithLiveUs = ((performance.now() - t4) / 1000) * 1000;
    keep = null;
    const t5 = performance.now();
    // Released means: no proxy left, no FREE queued, and at least one FREE sent for them.
    const ok = await gcUntil(
      () => settled() && syncClient.stats().freeMessagesSent > b3.freeMessagesSent,
      2000,
    );
    const releaseMs = performance.now() - t5;
    const a3 = syncClient.stats();
    live = {
      n: d.liveObjects,
      createMs,
      perObjectUs: (createMs * 1000) / d.liveObjects,
      clientHeapPerProxy: (m1.heapUsed - m0.heapUsed) / d.liveObjects,
      callWithLiveUs,
      releaseMs,
      released: ok,
      freeMessagesSent: a3.freeMessagesSent - b3.freeMessagesSent,
    };
  }

  // The sessions stay open: the parent reads the server's registry before ending the worker.
  comlinkApi[Comlink.releaseProxy]();
  return { timings, requireLoop, dying, live };
}

main().then(
  (result) => parentPort.postMessage(result),
  (error) => parentPort.postMessage({ error: error.stack ?? String(error) }),
);
