#!/usr/bin/env node
'use strict';
/**
 * `npm run test:runtimes`: the portable suite (suite.cjs) on Node 20 (this node), 22, 24 and 26,
 * Bun and Deno, each on its main thread and in two worker threads, plus the finalizer-order
 * probes (probe.cjs), one process each. Runtimes come from npm packages installed on demand into
 * .cache/runtimes/ (git-ignored, never devDependencies) with --ignore-scripts: the binaries are
 * inside the packages, so no install script is needed and none is run.
 *
 * Prints a table (runtime, version, result, notes) and exits non-zero when a runtime fails, could
 * not be installed or could not run something. Nothing is skipped silently.
 *
 *   node scripts/runtimes/run.js [--only node22,bun]
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const cache = path.join(root, '.cache', 'runtimes');
const TIMEOUT_MS = 240_000;
const PROBES = [
  'map-collected-with-values',
  'get-after-collection',
  'cancel-after-collection-then-reuse',
  'cancel-while-alive-then-reuse',
  'map-released-then-exit',
];

/**
 * Runtime failures that are understood and reported, and that do not fail the run. Strict: once
 * the runtime passes, the entry must go (the run fails and says so). See README, "Runtimes".
 */
// Runtimes with a known bug: they are reported as "FAIL (known)" without failing the run. When
// one starts passing, the run fails until its entry is removed here.
const KNOWN_BUGS = {};

const platformArch = `${process.platform}-${process.arch}`;
const bunArch = { x64: 'x64', arm64: 'aarch64' }[process.arch];

const RUNTIMES = [
  {
    id: 'node20',
    label: `Node.js ${process.versions.node.split('.')[0]} (system)`,
    binary: () => process.execPath,
    args: ['--expose-gc'],
  },
  ...[22, 24, 26].map((major) => ({
    id: `node${major}`,
    label: `Node.js ${major}`,
    spec: `node-${platformArch}@${major}`,
    binary: (dir) => path.join(dir, 'node_modules', `node-${platformArch}`, 'bin', 'node'),
    args: ['--expose-gc'],
  })),
  {
    id: 'bun',
    label: 'Bun',
    spec: 'bun',
    // The `bun` package's bin/bun.exe is a placeholder its postinstall replaces; the real binary
    // is in the platform package it depends on.
    binary: (dir) => path.join(dir, 'node_modules', '@oven', `bun-${process.platform}-${bunArch}`, 'bin', 'bun'),
    args: [],
  },
  {
    id: 'deno',
    label: 'Deno',
    spec: 'deno',
    binary: (dir) => path.join(dir, 'node_modules', '@deno', `${platformArch}-glibc`, 'deno'),
    args: ['run', '--allow-all', '--v8-flags=--expose-gc'],
  },
];

function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return [process.execPath, fromNpm];
  return ['npm'];
}

function childEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // meant for the driver's node, not for Bun, Deno or other Node majors
  return env;
}

/** The runtime's binary, installed into .cache/runtimes/<id> when missing. */
function ensureBinary(runtime) {
  if (!runtime.spec) return { binary: runtime.binary() };
  const dir = path.join(cache, runtime.id);
  const binary = runtime.binary(dir);
  if (!fs.existsSync(binary)) {
    const [command, ...prefix] = npmCli();
    const args = [...prefix, 'install', '--prefix', dir, '--ignore-scripts', '--no-save',
      '--no-package-lock', '--no-audit', '--no-fund', runtime.spec];
    fs.mkdirSync(dir, { recursive: true });
    console.log(`test:runtimes: installing ${runtime.spec} into ${path.relative(root, dir)}`);
    const result = spawnSync(command, args, { encoding: 'utf8', timeout: TIMEOUT_MS });
    if (result.status !== 0) {
      return { error: `npm install ${runtime.spec} failed: ${(result.stderr || String(result.error)).trim().split('\n').pop()}` };
    }
  }
  if (!fs.existsSync(binary)) {
    return { error: `${runtime.spec} installed but has no binary at ${path.relative(root, binary)}` };
  }
  return { binary };
}

function version(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) return undefined;
  return result.stdout.trim().split('\n')[0].replace(/^(deno |v)/, '').replace(/ \(.*\)$/, '');
}

function exitOf(result) {
  if (result.error) return String(result.error.message);
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
}

function runSuite(runtime, binary) {
  const result = spawnSync(binary, [...runtime.args, path.join(__dirname, 'main.cjs')], {
    cwd: root,
    env: childEnv(),
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = (result.stdout || '').split('\n').find((text) => text.startsWith('RESULT '));
  if (!line) {
    const tail = `${result.stderr || ''}`.trim().split('\n').slice(-3).join(' | ');
    return { crashed: `suite process ended without a result (${exitOf(result)})${tail ? `: ${tail}` : ''}` };
  }
  return JSON.parse(line.slice('RESULT '.length));
}

function runProbe(runtime, binary, probe) {
  const result = spawnSync(binary, [...runtime.args, path.join(__dirname, 'probe.cjs'), probe], {
    cwd: root,
    env: childEnv(),
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  if ((result.stdout || '').includes(`PROBE ok ${probe}`)) return undefined;
  const said = (result.stdout || '').split('\n').find((text) => text.startsWith('PROBE fail'));
  return said ? said.replace(/^PROBE fail /, '') : `${probe}: ${exitOf(result)}`;
}

/** One table row: { runtime, version, ok, passed, failed, notes[] }. */
function test(runtime) {
  const row = { runtime: runtime.label, id: runtime.id, version: '-', ok: false, passed: 0, failed: 0, notes: [] };
  const { binary, error } = ensureBinary(runtime);
  if (error) {
    row.notes.push(error);
    row.failed++;
    return row;
  }
  row.version = version(binary) || '?';

  const report = runSuite(runtime, binary);
  if (report.crashed || report.fatal) {
    row.notes.push(report.crashed || report.fatal);
    row.failed++;
  } else {
    row.notes.push(`GC: ${report.gc}`);
    const contexts = [['main thread', { results: report.results }],
      ...report.workers.map((worker, i) => [`worker ${i + 1}`, worker])];
    for (const [where, outcome] of contexts) {
      if (outcome.error) {
        row.failed++;
        row.notes.push(`${where}: ${outcome.error.split('\n')[0]}`);
        continue;
      }
      for (const result of outcome.results) {
        if (result.ok) {
          row.passed++;
        } else {
          row.failed++;
          row.notes.push(`${where}: "${result.name}" failed: ${result.error.split('\n')[0]}`);
        }
      }
    }
    row.notes.push(`${report.results.length} checks × main thread + ${report.workers.length} workers`);
    if (report.binary) row.notes.push(`binary: ${report.binary}`);
  }
  for (const probe of PROBES) {
    const failure = runProbe(runtime, binary, probe);
    if (failure) {
      row.failed++;
      row.notes.push(`probe ${failure}`);
    } else {
      row.passed++;
    }
  }
  row.ok = row.failed === 0;
  return row;
}

function table(rows) {
  const lines = ['| runtime | version | result | notes |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    const cell = (text) => String(text).replace(/\|/g, '\\|');
    lines.push(`| ${cell(row.runtime)} | ${cell(row.version)} | ${cell(row.result)} | ${cell(row.notes.join('; '))} |`);
  }
  return lines.join('\n');
}

function main() {
  const onlyFlag = process.argv.indexOf('--only');
  const only = onlyFlag >= 0 ? new Set(process.argv[onlyFlag + 1].split(',')) : undefined;
  const chosen = RUNTIMES.filter((runtime) => !only || only.has(runtime.id));
  const rows = [];
  for (const runtime of chosen) {
    const row = test(runtime);
    const known = KNOWN_BUGS[runtime.id];
    if (row.ok && known) {
      row.result = 'pass';
      row.notes.unshift(`passes now: remove its KNOWN_BUGS entry in scripts/runtimes/run.js (${known})`);
      row.countsAsFailure = true;
    } else if (row.ok) {
      row.result = 'pass';
    } else if (known) {
      row.result = 'FAIL (known)';
      row.notes.unshift(known);
    } else {
      row.result = 'FAIL';
      row.countsAsFailure = true;
    }
    console.log(`test:runtimes: ${runtime.label}: ${row.result} (${row.passed} checks passed, ${row.failed} failed)`);
    rows.push(row);
  }
  console.log('');
  console.log(table(rows));
  console.log('');
  const knownRows = rows.filter((row) => row.result === 'FAIL (known)');
  if (knownRows.length > 0) {
    console.log(`known failures, reported above and not counted: ${knownRows.map((row) => row.id).join(', ')}`);
  }
  const counted = rows.filter((row) => row.result !== 'FAIL (known)');
  const passed = counted.reduce((sum, row) => sum + row.passed, 0);
  const failed = counted.reduce((sum, row) => sum + row.failed, 0) +
    counted.filter((row) => row.countsAsFailure && row.failed === 0).length;
  console.log(`runtimes: ${passed} passed, ${failed} failed`);
  return rows.some((row) => row.countsAsFailure) ? 1 : 0;
}

process.exitCode = main();
