'use strict';
/**
 * Entry point run by each runtime (see run.js): the suite on the main thread, then in two worker
 * threads at once. Prints one line `RESULT {json}` for the driver.
 */
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { runtime, resolveGC } = require('./env.cjs');
const { runSuite } = require('./suite.cjs');
const { subpath, importSubpath } = require('./subpaths.cjs');

const root = path.join(__dirname, '..', '..');
const esmEntry = path.join(root, 'dist', 'esm', 'index.mjs');
const WORKERS = 2;
const WORKER_TIMEOUT_MS = 90_000;

function runWorker(index) {
  let Worker;
  try {
    ({ Worker } = require('node:worker_threads'));
  } catch (error) {
    return Promise.resolve({ error: `node:worker_threads is not available: ${error.message}` });
  }
  return new Promise((resolve) => {
    const worker = new Worker(path.join(__dirname, 'worker.cjs'), { workerData: { root, esmEntry } });
    const timer = setTimeout(() => {
      resolve({ error: `worker ${index} gave no answer in ${WORKER_TIMEOUT_MS} ms` });
      worker.terminate();
    }, WORKER_TIMEOUT_MS);
    worker.once('message', (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      resolve({ error: `worker ${index} failed: ${(error && error.stack) || error}` });
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ error: `worker ${index} exited with ${code} before answering` });
    });
  });
}

/** The native binary this runtime loaded, where the runtime shows it in require.cache. */
function loadedBinary() {
  const cache = require.cache || {};
  const found = Object.keys(cache).find((file) => file.endsWith('.node'));
  return found ? path.relative(root, found) : undefined;
}

async function main() {
  const report = { runtime: runtime(), results: [], workers: [] };
  let gc;
  try {
    const resolved = resolveGC();
    gc = resolved.gc;
    report.gc = resolved.how;
  } catch (error) {
    report.fatal = String(error.message);
    return report;
  }
  let weakwire;
  try {
    weakwire = require(root);
  } catch (error) {
    report.fatal = `require(weakwire) failed: ${error.message}`;
    return report;
  }
  report.binary = loadedBinary();
  const esm = {};
  try {
    esm.module = await import(pathToFileURL(esmEntry).href);
  } catch (error) {
    esm.error = String(error);
  }
  report.results = await runSuite({ weakwire, gc, esm, subpath, importSubpath });
  report.workers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker(i + 1)));
  return report;
}

main().then(
  (report) => {
    console.log(`RESULT ${JSON.stringify(report)}`);
    // Exit explicitly: a runtime whose workers keep it alive must not hang the driver.
    process.exit(0);
  },
  (error) => {
    console.log(`RESULT ${JSON.stringify({ runtime: runtime(), fatal: String((error && error.stack) || error) })}`);
    process.exit(0);
  },
);
