'use strict';
// Runs the portable suite inside a worker thread: its own environment, its own native state.
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const { resolveGC } = require('./env.cjs');
const { runSuite } = require('./suite.cjs');
const { subpath, importSubpath } = require('./subpaths.cjs');

async function main() {
  const { gc } = resolveGC();
  const weakwire = require(workerData.root);
  const esm = {};
  try {
    esm.module = await import(pathToFileURL(workerData.esmEntry).href);
  } catch (error) {
    esm.error = String(error);
  }
  return runSuite({ weakwire, gc, esm, subpath, importSubpath });
}

main().then(
  (results) => parentPort.postMessage({ results }),
  (error) => parentPort.postMessage({ error: String((error && error.stack) || error) }),
);
