#!/usr/bin/env node
// `npm run fuzz`: the remote-protocol fuzzer (test/remote/fuzz) at scale, over every transport.
// `npm test` runs it small; this runs FUZZ_SCALE times as many batches (default 8), sums up what
// each transport's run reports, and fails unless at least MIN_MESSAGES generated messages were
// checked. A failure prints FUZZ_SEED and FUZZ_PATH, which replay it (with FUZZ_TRACE=1 for the
// traffic): FUZZ_SEED=.. FUZZ_PATH=.. npx jest test/remote/fuzz/<transport>.
'use strict';
const { spawnSync } = require('child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('fs');
const { tmpdir } = require('os');
const path = require('path');

const MIN_MESSAGES = 100_000;
const root = path.join(__dirname, '..');
const reports = mkdtempSync(path.join(tmpdir(), 'weakwire-fuzz-'));
const scale = process.env.FUZZ_SCALE ?? '8';
const started = Date.now();

const jest = spawnSync(
  process.execPath,
  ['--expose-gc', path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/remote/fuzz', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_SCALE: scale, FUZZ_REPORT_DIR: reports } },
);
const seconds = (Date.now() - started) / 1000;

const runs = readdirSync(reports).map((file) => JSON.parse(readFileSync(path.join(reports, file), 'utf8')));
rmSync(reports, { recursive: true, force: true });
let batches = 0;
let messages = 0;
console.log('\ntransport          batches  messages  closes   time   slowest message (ms)');
for (const run of runs.sort((a, b) => a.wire.localeCompare(b.wire))) {
  batches += run.batches;
  messages += run.messages;
  console.log(
    `${run.wire.padEnd(18)} ${String(run.batches).padStart(7)} ${String(run.messages).padStart(9)} ` +
      `${String(run.closes).padStart(7)} ${(run.ms / 1000).toFixed(1).padStart(6)} s ${String(run.maxHandlerMs).padStart(8)}`,
  );
}
console.log(`total              ${String(batches).padStart(7)} ${String(messages).padStart(9)}   in ${seconds.toFixed(0)} s\n`);

if (jest.status !== 0) process.exit(jest.status ?? 1);
if (messages < MIN_MESSAGES) {
  console.error(`fuzz: only ${messages} messages were checked, fewer than ${MIN_MESSAGES} (raise FUZZ_SCALE)`);
  process.exit(1);
}
