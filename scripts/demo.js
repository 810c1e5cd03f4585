#!/usr/bin/env node
// `npm run demo`: a destructor firing after GC, and IDWeakMap entries vanishing with their values.
'use strict';
const { setDestructor, IDWeakMap, stats } = require('../dist');
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const step = (text) => console.log(`\n▶ ${text}`);
const turn = () => new Promise((resolve) => setTimeout(resolve, 5));

async function main() {
  step('Register destructors on two objects; keep one alive');
  let session = { user: 'ada' };
  const kept = { user: 'grace' };
  setDestructor(session, (who) => console.log(`  destructor ran: ${who}'s session was collected`), 'ada');
  const cancel = setDestructor(kept, (who) => console.log(`  (never printed) ${who}`), 'grace');
  console.log('  stats:', stats());

  step('Drop the first object and collect garbage');
  session = null;
  gc();
  console.log('  right after gc(): the callback has not run yet (finalizers never run JavaScript)');
  await turn();
  console.log('  after one event-loop turn: stats:', stats());

  step('Cache objects by id in an IDWeakMap');
  const cache = new IDWeakMap();
  let doc = { title: 'draft' };
  cache.set(1, doc).set(2, kept).set('config', { theme: 'dark' });
  console.log('  keys:', [...cache.keys()], 'size:', cache.size);

  step('Drop the draft and the config object, collect garbage');
  doc = null;
  gc();
  console.log('  immediately (before finalizers ran) the map shows only live entries:');
  console.log('  keys:', [...cache.keys()], 'size:', cache.size, 'get(1):', cache.get(1));

  step('Cancel the remaining destructor and clean up');
  console.log('  cancel():', cancel(), '- again:', cancel());
  cache.clear();
  await turn();
  console.log('  stats:', stats());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
