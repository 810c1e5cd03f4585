#!/usr/bin/env node
// npm run docs:time-tests: runs `npm test` once, as a contributor would, and records how long it
// took (scripts/figures/test-time.json), for the README's "npm test takes about …". The machine
// is shared: the load average is recorded with the time.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { RESULTS, root } from './results.mjs';

const fromNpm = process.env.npm_execpath;
const [command, ...prefix] = fromNpm && /npm-cli\.js$/.test(fromNpm) ? [process.execPath, fromNpm] : ['npm'];
const loadBefore = loadavg()[0];
const started = process.hrtime.bigint();
const result = spawnSync(command, [...prefix, 'test'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const seconds = Math.round(Number(process.hrtime.bigint() - started) / 1e9);
const output = `${result.stdout}${result.stderr}`;
process.stderr.write(output.split('\n').slice(-8).join('\n'));
if (result.status !== 0) {
  console.error('time-tests: npm test failed; nothing recorded');
  process.exit(1);
}
const tests = Number(/^Tests:.*?(\d+) total/m.exec(output)?.[1]);
const suites = Number(/^Test Suites:.*?(\d+) total/m.exec(output)?.[1]);
const record = {
  seconds,
  tests,
  suites,
  date: new Date().toISOString().slice(0, 10),
  loadAverage: Math.round(((loadBefore + loadavg()[0]) / 2) * 10) / 10,
  node: process.version,
};
writeFileSync(join(root, RESULTS.testTime), `${JSON.stringify(record, null, 2)}\n`);
console.error(`time-tests: npm test took ${seconds} s (${tests} tests); wrote ${RESULTS.testTime}`);
