#!/usr/bin/env node
// weakwire/remote demo: the main thread serves, a worker thread calls remote.require('os')
// 10,000 times in sync mode, drops the proxy and collects; the server registry goes back to empty.
'use strict';
const { isMainThread, parentPort, workerData, Worker } = require('node:worker_threads');
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist', 'remote', 'index.js');
if (!existsSync(dist)) {
  console.error('dist/remote is missing: run `npm run build:ts` (or `npx tsc -p tsconfig.build.json`) first.');
  process.exit(1);
}
const { RemoteServer, connect, transports } = require(dist);

setFlagsFromString('--expose-gc');
const gc = globalThis.gc || runInNewContext('gc');
const N = 10_000;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const fmt = (n) => n.toLocaleString('en-US');
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function worker() {
  const remote = connect(transports.workerSyncClient(workerData.end), { sync: true });
  const start = process.hrtime.bigint();
  let os;
  for (let i = 0; i < N; i++) os = remote.require('os');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const afterLoop = remote.stats();
  const cpus = os.cpus().length;
  parentPort.postMessage({ phase: 'loop', ms, stats: afterLoop, cpus, heap: process.memoryUsage().heapUsed });
  await new Promise((resolve) => parentPort.once('message', resolve));
  os = undefined;
  for (let round = 0; round < 200; round++) {
    const s = remote.stats();
    if (s.proxies === 0 && s.pendingFrees === 0) break;
    gc();
    await turn();
    await sleep(round < 10 ? 0 : 10);
  }
  parentPort.postMessage({ phase: 'collected', stats: remote.stats(), heap: process.memoryUsage().heapUsed });
  await new Promise((resolve) => parentPort.once('message', resolve));
  remote.close();
}

async function main() {
  const server = new RemoteServer({ modules: { os: () => require('os') } });
  const channel = transports.workerSyncChannel();
  const session = server.serve(channel.transport);
  const child = new Worker(__filename, { workerData: { end: channel.end }, transferList: channel.transferList });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const line = (label, value) => console.log(`${label.padEnd(34)}${value}`);
  const registry = () => {
    const s = server.stats();
    return `sessions ${s.sessions}, objects ${fmt(s.objects)}, references ${fmt(s.references)}`;
  };

  console.log(`weakwire remote demo: the main thread serves, a worker calls remote.require('os') ${fmt(N)} times (sync mode)\n`);
  line('server registry at start', registry());
  const loop = await next();
  line(`${fmt(N)} × remote.require('os')`, `${loop.ms.toFixed(0)} ms in the worker (SharedArrayBuffer + Atomics.wait)`);
  line('proxies created', `${fmt(loop.stats.proxiesCreated)} (after the loop; os.cpus() then adds its function proxy)`);
  line('server registry before GC', registry());
  gc();
  const before = process.memoryUsage();
  child.postMessage('collect');
  const collected = await next();
  for (let i = 0; i < 200 && server.stats().objects !== 0; i++) await sleep(5);
  line('worker: proxy dropped, GC', `FREE messages sent: ${fmt(collected.stats.freeMessagesSent)}, received: ${fmt(session.freeMessagesReceived)}`);
  line('server registry after GC', registry());
  gc();
  const after = process.memoryUsage();
  line('memory, process rss', `${mb(before.rss)} -> ${mb(after.rss)}`);
  line('memory, main heap used', `${mb(before.heapUsed)} -> ${mb(after.heapUsed)}`);
  line('memory, worker heap used', `${mb(loop.heap)} -> ${mb(collected.heap)}`);
  child.postMessage('done');
  await new Promise((resolve) => child.once('exit', resolve));
  server.close();
  if (server.stats().objects !== 0) process.exitCode = 1;
}

(isMainThread ? main() : worker()).catch((error) => {
  console.error(error);
  process.exit(1);
});
