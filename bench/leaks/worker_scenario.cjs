'use strict';
// The worker of the corpus's "leak only inside a worker" scenario: each message is a request
// the worker keeps forever. It also serves weakwire's cross-thread checks on the same code path.
const { parentPort, workerData } = require('node:worker_threads');
const { serveLeakChecks } = require(workerData.testing);

const handled = [];

function handle(i) {
  const request = { id: i, headers: { 'x-id': String(i) }, body: `request ${i}`.padEnd(64, '.') };
  handled.push(request);
  return request;
}

parentPort.on('message', (message) => {
  if (typeof message === 'number') handle(message);
});

serveLeakChecks({ handle });
