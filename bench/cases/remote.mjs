// Remote member calls and proxy release, between the main thread (server) and a worker thread
// (client). All channels are set up side by side and the worker measures every one of them.
import { MessageChannel, Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchRequire, loadRemote } from '../lib/weakwire.mjs';
import { ratioOf } from '../lib/rounds.mjs';

const children = join(dirname(fileURLToPath(import.meta.url)), '..', 'children');
const workerScript = join(children, 'remote-worker.mjs');

// Class instances go by reference (plain objects would be copied).
class Item {
  constructor(n) {
    this.n = n;
  }
}

export function remoteServerModules() {
  let made = 0;
  return {
    bench: () => ({
      ping: (x) => x,
      // A fresh object per call: each becomes its own proxy on the client.
      make: () => new Item(made++),
    }),
    os: () => benchRequire('node:os'),
  };
}

export async function remoteCase({ rounds, time, quick = false, liveObjects = 0, skipCalls = false }) {
  const { remote, reason } = loadRemote();
  if (remote === null) return { unavailable: `weakwire/remote is not available yet (${reason})` };
  const { RemoteServer, transports } = remote;
  const Comlink = benchRequire('comlink');
  const nodeEndpoint = benchRequire('comlink/dist/umd/node-adapter');

  const server = new RemoteServer({ modules: remoteServerModules() });
  const syncChannel = transports.workerSyncChannel();
  const syncSession = server.serve(syncChannel.transport);
  const asyncChannel = new MessageChannel();
  const asyncSession = server.serve(transports.messagePort(asyncChannel.port1));

  // Raw sync: the same SharedArrayBuffer + Atomics transport, answered without any protocol.
  const rawSync = transports.workerSyncChannel();
  rawSync.transport.start({
    message: (message, reply) => (reply ? reply(message) : rawSync.transport.send(message)),
    close: () => {},
  });
  // Raw async: a bare MessagePort echo.
  const rawAsync = new MessageChannel();
  rawAsync.port1.on('message', (message) => rawAsync.port1.postMessage(message));
  // The floor of a synchronous call between two threads: a third thread that only blocks in
  // Atomics.wait and answers through the same SharedArrayBuffer (no event loop, no message).
  const atomicsBuffer = new SharedArrayBuffer(16);
  const atomicsEcho = new Worker(join(children, 'atomics-echo.mjs'), { workerData: { buffer: atomicsBuffer } });
  atomicsEcho.unref();
  // comlink over a MessagePort between the same two threads.
  const comlinkChannel = new MessageChannel();
  Comlink.expose({ ping: (x) => x }, nodeEndpoint(comlinkChannel.port1));

  const worker = new Worker(workerScript, {
    workerData: {
      rounds,
      time,
      quick,
      liveObjects,
      skipCalls,
      root: process.env.WEAKWIRE_BENCH_ROOT ?? '',
      syncEnd: syncChannel.end,
      asyncPort: asyncChannel.port2,
      rawSyncEnd: rawSync.end,
      rawAsyncPort: rawAsync.port2,
      atomicsBuffer,
      comlinkPort: comlinkChannel.port2,
    },
    transferList: [
      ...syncChannel.transferList,
      asyncChannel.port2,
      ...rawSync.transferList,
      rawAsync.port2,
      comlinkChannel.port2,
    ],
  });
  const result = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`remote bench worker exited with ${code}`)));
  });
  if (result.error) throw new Error(`remote bench worker: ${result.error}`);
  // Let the last FREE messages reach the server before reading its registry.
  await new Promise((resolve) => setTimeout(resolve, 100));
  result.server = {
    freeMessagesReceived: syncSession.freeMessagesReceived + asyncSession.freeMessagesReceived,
    objectsAfter: syncSession.stats().objects,
  };
  await worker.terminate();
  const cells = new Int32Array(atomicsBuffer);
  Atomics.store(cells, 0, -1);
  Atomics.notify(cells, 0);
  await atomicsEcho.terminate();
  for (const port of [asyncChannel.port1, rawAsync.port1, comlinkChannel.port1]) port.close();
  rawSync.transport.close();
  syncSession.close();
  asyncSession.close();

  if (skipCalls) return result;
  const t = result.timings;
  result.ratios = {
    'sync/raw sync': ratioOf(t['remote call (sync)'], t['raw sync round trip']),
    'sync/atomics': ratioOf(t['remote call (sync)'], t['Atomics ping-pong']),
    'raw sync/atomics': ratioOf(t['raw sync round trip'], t['Atomics ping-pong']),
    'async/raw postMessage': ratioOf(t['remote call (async)'], t['raw postMessage ping-pong']),
    'async/comlink': ratioOf(t['remote call (async)'], t['comlink call']),
    'sync/comlink': ratioOf(t['remote call (sync)'], t['comlink call']),
    'concurrent/comlink': ratioOf(t['remote calls, 10,000 concurrent (async)'], t['comlink calls, 10,000 concurrent']),
    'FREE messages': { median: result.dying.freeMessagesSent, noise: 0, values: [result.dying.freeMessagesSent] },
  };
  const fmt = (ns) => (ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(1)} ns`);
  const row = (label, ours, peer, key) => ({
    label,
    oursName: ours,
    peerName: peer,
    ours: fmt(t[ours].medianNs),
    peer: fmt(t[peer].medianNs),
    ratio: result.ratios[key],
  });
  const r = result.requireLoop;
  result.rows = [
    row('remote member call round trip', 'remote call (sync)', 'raw sync round trip', 'sync/raw sync'),
    row('remote member call round trip', 'remote call (sync)', 'Atomics ping-pong', 'sync/atomics'),
    row('remote member call round trip', 'raw sync round trip', 'Atomics ping-pong', 'raw sync/atomics'),
    row('remote member call round trip', 'remote call (async)', 'raw postMessage ping-pong', 'async/raw postMessage'),
    row('remote member call round trip', 'remote call (async)', 'comlink call', 'async/comlink'),
    row('remote member call round trip', 'remote call (sync)', 'comlink call', 'sync/comlink'),
    row('10,000 concurrent calls (time per call)', 'remote calls, 10,000 concurrent (async)', 'comlink calls, 10,000 concurrent', 'concurrent/comlink'),
    {
      label: `for (i < ${r.n}) remote.require('os') (sync)`,
      oursName: 'weakwire',
      peerName: '—',
      ours: `${r.ms.toFixed(1)} ms, ${r.proxiesCreated} proxies created, ${r.freeMessagesSent} FREE`,
      peer: '',
      ratio: undefined,
      note: '—',
    },
    {
      label: `${result.dying.n} distinct proxies dying`,
      oursName: 'weakwire',
      peerName: '—',
      ours: `${result.dying.freeMessagesSent} FREE messages`,
      peer: '',
      ratio: undefined,
      note: '—',
    },
  ];
  return result;
}
