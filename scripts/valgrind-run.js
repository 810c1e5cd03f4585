#!/usr/bin/env node
// npm run test:valgrind: runs scripts/valgrind-stress.js under memcheck and fails on
//   - any "definitely lost" block whose allocation stack has a weakwire frame, and
//   - any memcheck error (invalid read/write/free, uninitialised use) with a weakwire frame.
// Everything else (Node's and V8's own exit-time leftovers) is counted and shown, not failed.
// Installs valgrind with apt-get when it is missing and apt-get is there (fresh CI machines).
//
// The addon under test is WEAKWIRE_NATIVE_PATH if set, else the normal build/Release binary.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const OURS = /weakwire\.node|weakwire::|src\/native\//;

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function ensureValgrind() {
  if (have('valgrind')) return;
  if (!have('apt-get')) {
    console.error('[valgrind] valgrind is not installed and apt-get is not available');
    process.exit(1);
  }
  console.log('[valgrind] installing valgrind with apt-get');
  const install = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq valgrind'], {
    stdio: 'inherit',
  });
  if (install.status !== 0 || !have('valgrind')) process.exit(1);
}

// Splits memcheck's log into records: a header line and its stack, ended by a bare "==pid==".
function records(log) {
  const out = [];
  let current = null;
  for (const raw of log.split('\n')) {
    const m = /^==\d+== ?(.*)$/.exec(raw);
    if (!m) continue;
    const line = m[1];
    if (line.trim() === '') {
      current = null;
      continue;
    }
    if (/^\s+(at|by) 0x/.test(line) || /^\s+Address 0x/.test(line) || /^\s+Block was alloc'd at/.test(line) || /^\s+Uninitialised value was created/.test(line)) {
      if (current) current.lines.push(line);
      continue;
    }
    current = { head: line, lines: [] };
    out.push(current);
  }
  return out;
}

const ERROR_HEADS = /^(Invalid (read|write|free)|Mismatched free|Conditional jump or move depends on uninitialised|Use of uninitialised|Syscall param .* uninitialised|Source and destination overlap)/;

function main() {
  ensureValgrind();
  const logDir = path.join(root, 'build-valgrind'); // git-ignored, like every build-*/
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'memcheck.log');
  const native = process.env.WEAKWIRE_NATIVE_PATH || path.join(root, 'build', 'Release', 'weakwire.node');
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) {
    console.error('[valgrind] no dist/: build the TypeScript first (npm run build:ts)');
    process.exit(1);
  }
  if (!fs.existsSync(native)) {
    console.error(`[valgrind] no addon at ${native}: build it first (npm run build:native)`);
    process.exit(1);
  }
  const args = [
    '--tool=memcheck',
    '--leak-check=full',
    '--show-leak-kinds=definite',
    '--errors-for-leak-kinds=definite',
    '--num-callers=30',
    `--log-file=${logFile}`,
    process.execPath,
    '--expose-gc',
    path.join(__dirname, 'valgrind-stress.js'),
  ];
  console.log(`[valgrind] valgrind ${args.join(' ')}`);
  const started = Date.now();
  const run = spawnSync('valgrind', args, {
    stdio: 'inherit',
    env: { ...process.env, WEAKWIRE_NATIVE_PATH: native },
    timeout: 15 * 60 * 1000,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) {
    console.error(`[valgrind] the stress script failed under valgrind (exit ${run.status}, signal ${run.signal})`);
    process.exit(1);
  }
  const log = fs.readFileSync(logFile, 'utf8');
  let failures = 0;
  let lostOurs = 0;
  let lostOthers = 0;
  let errorsOthers = 0;
  for (const record of records(log)) {
    const ours = record.lines.some((l) => OURS.test(l));
    const definitelyLost = /are definitely lost in loss record/.test(record.head);
    const isError = ERROR_HEADS.test(record.head);
    if (!definitelyLost && !isError) continue;
    if (ours) {
      failures++;
      if (definitelyLost) lostOurs++;
      console.error(`\n[valgrind] IN WEAKWIRE: ${record.head}`);
      console.error(record.lines.join('\n'));
    } else if (definitelyLost) {
      lostOthers++;
    } else {
      errorsOthers++;
    }
  }
  const summary = /definitely lost: .*/.exec(log);
  console.log(
    `[valgrind] ${seconds} s; ${summary ? summary[0] : 'no leak summary'}; ` +
      `definitely lost in weakwire frames: ${lostOurs} record(s); elsewhere: ${lostOthers}; ` +
      `memcheck errors elsewhere: ${errorsOthers}; log: ${path.relative(root, logFile)}`,
  );
  process.exit(failures > 0 ? 1 : 0);
}

main();
