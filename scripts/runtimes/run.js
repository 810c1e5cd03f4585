#!/usr/bin/env node
'use strict';
/**
 * `npm run test:runtimes`: the portable suite (suite.cjs) on Node 20 (this node), 22, 24 and 26,
 * Bun and Deno, and on the linux-arm64 and win32-x64 builds of Node 20 and 24 under qemu and Wine,
 * each on its main thread and in two worker threads, plus the finalizer-order probes (probe.cjs),
 * one process each. Every runtime loads the prebuilt binary for its platform (PREBUILDS_ONLY=1),
 * which is built first when it is older than the sources (scripts/prebuild.js,
 * scripts/cross/build.js), and the run checks that this binary is the one that was loaded.
 *
 * Runtimes come from npm packages at pinned versions, installed on demand into .cache/runtimes/
 * (git-ignored, never devDependencies) with --ignore-scripts: the binaries are inside the packages,
 * so no install script is needed and none is run. Another platform's Node.js package is unpacked
 * from `npm pack` (npm refuses to install a package for another CPU or OS).
 *
 * Prints a table (runtime, version, result, notes), writes it to scripts/runtimes/results.json
 * (the README's runtimes table is made from it: `npm run docs:figures`) and exits non-zero when a
 * runtime fails, could not be installed or could not run something. Nothing is skipped silently.
 *
 *   node scripts/runtimes/run.js [--only node22,bun]   (--only writes no results file)
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TARGETS, prebuildPath } = require('../cross/targets');
const { WINE64 } = require('../cross/tools');

const root = path.join(__dirname, '..', '..');
const cache = path.join(root, '.cache', 'runtimes');
const RESULTS = path.join(__dirname, 'results.json');
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

/** This machine's own prebuild, as node-gyp-build looks for it (glibc Linux here). */
const hostPrebuild = `prebuilds/${platformArch}/weakwire${process.platform === 'linux' ? '.glibc' : ''}.node`;

/** Wine keeps its Windows installation (a "prefix") in the cache, made on first use. */
const winePrefix = path.join(root, '.cache', 'wine');
const wineEnv = { WINEPREFIX: winePrefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };

/** Another platform's Node.js from its npm package, run through an emulator. */
function foreignNode(major, version, target, how) {
  const cross = TARGETS.find((entry) => entry.id === target);
  const windows = cross.platform === 'win32';
  return {
    id: `node${major}-${cross.platform}-${cross.arch}`,
    label: `Node.js ${major}, ${cross.platform}-${cross.arch} (${how})`,
    spec: `node-${windows ? 'win' : cross.platform}-${cross.arch}@${version}`,
    unpack: true,
    binary: (dir) => path.join(dir, 'package', 'bin', windows ? 'node.exe' : 'node'),
    launcher: windows ? [WINE64] : ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'],
    env: windows ? wineEnv : {},
    // Wine maps the Linux root to drive Z:.
    file: windows ? (file) => `Z:${file.replace(/\//g, '\\')}` : (file) => file,
    args: ['--expose-gc'],
    prebuild: prebuildPath(cross),
    cross: target,
    checks: windows ? [{ label: 'loads in a renamed host .exe (delay-load hook)', run: renamedHost }] : [],
  };
}

/**
 * Windows: the addon delay-loads Node-API from NODE.EXE and its hook binds it to the running
 * executable instead (scripts/cross/delay_load_hook.c), so it loads in electron.exe or a renamed
 * node. Without the hook this process dies with a delay-load failure.
 */
function renamedHost(runtime, binary) {
  const renamed = path.join(path.dirname(binary), 'renamed-host.exe');
  if (!fs.existsSync(renamed)) fs.copyFileSync(binary, renamed);
  const script = `const w = require(${JSON.stringify(runtime.file(root))}); w.stats(); console.log('LOADED')`;
  const result = capture(runtime, renamed, ['-e', script]);
  return result.stdout.includes('LOADED') ? undefined : `renamed host executable: ${exitOf(result)}`;
}

/**
 * The child-process transport guards Node's IPC reader (src/ts/remote/transports/ipc_reader_guard.ts),
 * which it finds by an internal symbol's description, and Node's internal messages: on each Node.js
 * major, a process serving a hostile peer must live through a message the reader cannot read or
 * whose handle Node cannot take, and end the channel instead
 * (test/fixtures/remote/ipc_unreadable.js, the scenarios of test/remote/attacks/ipc_reader.test.ts).
 */
const IPC_FIXTURE = path.join(root, 'test', 'fixtures', 'remote', 'ipc_unreadable.js');
const IPC_SCENARIOS = [
  ['victim-parent', 'advanced', 'deep'],
  ['victim-parent', 'advanced', 'garbage'],
  ['victim-parent', 'json', 'garbage'],
  ['victim-parent', 'json', 'handle-ack'],
  ['victim-parent', 'advanced', 'handle-ack'],
  ['victim-parent', 'json', 'handle-unknown'],
  ['victim-parent', 'json', 'handle-udp-untyped'],
  ['victim-parent', 'json', 'handle-connected-as-server'],
  ['victim-parent', 'json', 'handle-pipe-connected-as-server'],
  ['victim-parent', 'json', 'handle-udp-as-server'],
  ['victim-parent', 'json', 'handle-udp-as-socket'],
  ['victim-parent', 'json', 'handle-tcp-as-udp'],
  ['victim-parent', 'json', 'handle-on-envelope'],
  ['victim-parent', 'json', 'handle-internal-socket'],
  ['victim-parent', 'json', 'handle-untaken'],
  ['hostile-parent'],
];

function ipcGuard(runtime, binary) {
  for (const scenario of IPC_SCENARIOS) {
    const result = capture(runtime, binary, [IPC_FIXTURE, ...scenario], 60_000);
    const last = (result.stdout || '').trim().split('\n').pop();
    let outcome;
    try {
      outcome = JSON.parse(last);
    } catch {
      return `IPC guard, ${scenario.join(' ')}: no report (${exitOf(result)})`;
    }
    const report = scenario[0] === 'hostile-parent' ? outcome.report : outcome;
    const lived = scenario[0] === 'hostile-parent' ? outcome.exit === 0 : result.status === 0;
    // A handle the peer passed is closed (a victim that cannot list its handles reports none).
    const closed = (report?.sockets?.length ?? 0) === 0;
    // A handle nobody takes is closed without ending the channel: the hostile peer ends its session itself.
    const code = scenario[2] === 'handle-untaken' ? undefined : 'ERR_REMOTE_PROTOCOL';
    if (!lived || report?.code !== code || report.disconnected !== true || !closed) {
      return `IPC guard, ${scenario.join(' ')}: ${last}`;
    }
  }
  return undefined;
}

const IPC_CHECK = { label: "the IPC reader guard's attack scenarios", run: ipcGuard };

const RUNTIMES = [
  {
    id: 'node20',
    label: `Node.js ${process.versions.node.split('.')[0]} (system)`,
    binary: () => process.execPath,
    args: ['--expose-gc'],
    checks: [IPC_CHECK],
  },
  ...[
    [22, '22.23.3'],
    [24, '24.21.0'],
    [26, '26.12.1'],
  ].map(([major, version]) => ({
    id: `node${major}`,
    label: `Node.js ${major}`,
    spec: `node-${platformArch}@${version}`,
    binary: (dir) => path.join(dir, 'node_modules', `node-${platformArch}`, 'bin', 'node'),
    args: ['--expose-gc'],
    checks: [IPC_CHECK],
  })),
  {
    id: 'bun',
    label: 'Bun',
    spec: 'bun@1.4.5',
    // The `bun` package's bin/bun.exe is a placeholder its postinstall replaces; the real binary
    // is in the platform package it depends on.
    binary: (dir) => path.join(dir, 'node_modules', '@oven', `bun-${process.platform}-${bunArch}`, 'bin', 'bun'),
    args: [],
  },
  {
    id: 'deno',
    label: 'Deno',
    spec: 'deno@2.9.6',
    binary: (dir) => path.join(dir, 'node_modules', '@deno', `${platformArch}-glibc`, 'deno'),
    args: ['run', '--allow-all', '--v8-flags=--expose-gc'],
  },
  foreignNode(20, '20.20.2', 'linux-arm64-glibc', 'qemu'),
  foreignNode(24, '24.21.0', 'linux-arm64-glibc', 'qemu'),
  foreignNode(20, '20.20.2', 'win32-x64', 'Wine'),
  foreignNode(22, '22.23.3', 'win32-x64', 'Wine'),
].map((runtime) => ({
  launcher: [],
  checks: [],
  env: {},
  file: (file) => file,
  prebuild: hostPrebuild,
  ...runtime,
}));

function npmCli() {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return [process.execPath, fromNpm];
  return ['npm'];
}

function childEnv(runtime) {
  const env = { ...process.env, ...runtime.env, PREBUILDS_ONLY: '1' };
  delete env.NODE_OPTIONS; // meant for the driver's node, not for Bun, Deno or other Node majors
  delete env.WEAKWIRE_NATIVE_PATH;
  return env;
}

/**
 * spawnSync with stdout and stderr in files, not pipes: Node.js under Wine cannot open a pipe
 * as its stdout (EBADF), and the same path for every runtime keeps them comparable.
 */
function capture(runtime, binary, args, timeout = TIMEOUT_MS) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-runtime-'));
  const files = ['stdout', 'stderr'].map((name) => path.join(dir, name));
  const fds = files.map((file) => fs.openSync(file, 'w'));
  try {
    const [command, ...prefix] = [...runtime.launcher, binary];
    const result = spawnSync(command, [...prefix, ...args], {
      cwd: root,
      env: childEnv(runtime),
      stdio: ['ignore', ...fds],
      timeout,
    });
    const [stdout, stderr] = files.map((file) => fs.readFileSync(file, 'utf8'));
    return { status: result.status, signal: result.signal, error: result.error, stdout, stderr };
  } finally {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Installs an npm package into `dir`, or unpacks it when it is for another platform. */
function install(runtime, dir) {
  const [command, ...prefix] = npmCli();
  fs.mkdirSync(dir, { recursive: true });
  console.log(`test:runtimes: installing ${runtime.spec} into ${path.relative(root, dir)}`);
  const args = runtime.unpack
    ? [...prefix, 'pack', '--silent', '--pack-destination', dir, runtime.spec]
    : [...prefix, 'install', '--prefix', dir, '--ignore-scripts', '--no-save', '--no-package-lock', '--no-audit',
      '--no-fund', runtime.spec];
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: TIMEOUT_MS });
  if (result.status !== 0) {
    return `npm ${args[prefix.length]} ${runtime.spec} failed: ${(result.stderr || String(result.error)).trim().split('\n').pop()}`;
  }
  if (runtime.unpack) {
    const tarball = path.join(dir, result.stdout.trim().split('\n').pop());
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', dir], { encoding: 'utf8' });
    fs.rmSync(tarball, { force: true });
    if (untar.status !== 0) return `unpacking ${runtime.spec} failed: ${untar.stderr.trim()}`;
  }
  return undefined;
}

/** A Wine prefix that reports Windows 10: Node.js refuses to start on Wine's default, Windows 7. */
function prepareWine(runtime) {
  const marker = path.join(winePrefix, '.weakwire-win10');
  if (fs.existsSync(marker)) return undefined;
  fs.mkdirSync(winePrefix, { recursive: true });
  const result = spawnSync(WINE64, ['winecfg', '/v', 'win10'], { env: childEnv(runtime), stdio: 'ignore', timeout: TIMEOUT_MS });
  if (result.status !== 0) return `setting up the Wine prefix failed (${exitOf(result)})`;
  fs.writeFileSync(marker, '');
  return undefined;
}

/** The runtime's binary, installed into .cache/runtimes/<spec> when missing. */
function ensureBinary(runtime) {
  const launcher = runtime.launcher[0];
  if (launcher && !fs.existsSync(launcher) && !onPath(launcher)) {
    return { error: `${launcher} not found: \`node scripts/cross/tools.js\` installs it` };
  }
  if (!runtime.spec) return { binary: runtime.binary() };
  const dir = path.join(cache, runtime.spec.replace(/[@/]/g, '_'));
  const binary = runtime.binary(dir);
  if (!fs.existsSync(binary)) {
    const error = install(runtime, dir);
    if (error) return { error };
  }
  if (!fs.existsSync(binary)) {
    return { error: `${runtime.spec} installed but has no binary at ${path.relative(root, binary)}` };
  }
  if (runtime.launcher[0] === WINE64) {
    const error = prepareWine(runtime);
    if (error) return { error };
  }
  return { binary };
}

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

function version(runtime, binary) {
  const result = capture(runtime, binary, ['--version'], 60_000);
  if (result.status !== 0) return undefined;
  return result.stdout.trim().split('\n')[0].replace(/^(deno |v)/, '').replace(/ \(.*\)$/, '');
}

function exitOf(result) {
  if (result.error) return String(result.error.message);
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
}

function runSuite(runtime, binary) {
  const result = capture(runtime, binary, [...runtime.args, runtime.file(path.join(__dirname, 'main.cjs'))]);
  const line = (result.stdout || '').split(/\r?\n/).find((text) => text.startsWith('RESULT '));
  if (!line) {
    const tail = `${result.stderr || ''}`.trim().split('\n').slice(-3).join(' | ');
    return { crashed: `suite process ended without a result (${exitOf(result)})${tail ? `: ${tail}` : ''}` };
  }
  return JSON.parse(line.slice('RESULT '.length));
}

function runProbe(runtime, binary, probe) {
  const result = capture(runtime, binary, [...runtime.args, runtime.file(path.join(__dirname, 'probe.cjs')), probe]);
  if ((result.stdout || '').includes(`PROBE ok ${probe}`)) return undefined;
  const said = (result.stdout || '').split(/\r?\n/).find((text) => text.startsWith('PROBE fail'));
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
  row.version = version(runtime, binary) || '?';

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
    // node-gyp-build must have picked this platform's prebuild, by its own rules.
    const loaded = report.binary?.split(path.win32.sep).join('/');
    if (loaded !== runtime.prebuild) {
      row.failed++;
      row.notes.push(`loaded ${loaded ?? 'no binary'}, not ${runtime.prebuild}`);
    }
    row.notes.push(`binary: ${loaded}`);
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
  for (const check of runtime.checks) {
    const failure = check.run(runtime, binary);
    if (failure) {
      row.failed++;
      row.notes.push(failure);
    } else {
      row.passed++;
    }
  }
  for (const check of runtime.checks) row.notes.push(`also: ${check.label}`);
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

/** Builds the prebuilds the chosen runtimes load, where they are older than the sources. */
function prebuild(chosen) {
  const steps = [];
  if (chosen.some((runtime) => !runtime.cross)) steps.push([path.join(root, 'scripts', 'prebuild.js')]);
  const cross = [...new Set(chosen.filter((runtime) => runtime.cross).map((runtime) => runtime.cross))];
  if (cross.length > 0) steps.push([path.join(root, 'scripts', 'cross', 'build.js'), '--only', cross.join(',')]);
  for (const args of steps) {
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) return `${path.relative(root, args[0])} failed (${exitOf(result)})`;
  }
  return undefined;
}

/** The results file the README's table is made from: what was run, never when or how fast. */
function record(rows) {
  const runtimes = rows.map(({ id, runtime, version: v, result, passed, failed, notes }) => ({
    id, runtime, version: v, result, passed, failed, notes,
  }));
  const results = { host: platformArch, probes: PROBES, runtimes };
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`test:runtimes: wrote ${path.relative(root, RESULTS)}`);
}

function main() {
  const onlyFlag = process.argv.indexOf('--only');
  const only = onlyFlag >= 0 ? new Set(process.argv[onlyFlag + 1].split(',')) : undefined;
  const chosen = RUNTIMES.filter((runtime) => !only || only.has(runtime.id));
  const failure = prebuild(chosen);
  if (failure) {
    console.error(`test:runtimes: ${failure}`);
    console.log('runtimes: 0 passed, 1 failed');
    return 1;
  }
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
  if (!only) record(rows);
  console.log(`runtimes: ${passed} passed, ${failed} failed`);
  return rows.some((row) => row.countsAsFailure) ? 1 : 0;
}

process.exitCode = main();
