#!/usr/bin/env node
'use strict';
/**
 * `npm run prebuild`: builds prebuilds/<platform>-<arch>/weakwire.<libc>.node with prebuildify
 * (one Node-API binary for every runtime).
 *
 * prebuildify runs `node-gyp rebuild` in its working directory, which wipes `build/`. Other work in
 * this checkout loads build/Release/weakwire.node, so the build runs in a temporary copy of the
 * sources and only `prebuilds/` is copied back.
 *
 * npm also runs this script before every `npm run build` (it is the `pre` hook of `build`), so it
 * does nothing while this platform's prebuild is newer than every native source. `--force`
 * rebuilds anyway. Other arguments go to prebuildify (for CI: `-- --arch arm64`) and always build.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const SOURCES = ['package.json', 'binding.gyp', 'src/native'];

function copy(relative, into) {
  fs.cpSync(path.join(root, relative), path.join(into, relative), { recursive: true });
}

function newestSource() {
  let newest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const relative of ['binding.gyp', 'src/native']) visit(path.join(root, relative));
  return newest;
}

/** The file prebuildify makes for this machine, as node-gyp-build will look for it. */
function ownPrebuild() {
  const report = process.platform === 'linux' ? process.report.getReport() : undefined;
  const libc = report ? (report.header.glibcVersionRuntime ? '.glibc' : '.musl') : '';
  const dir = `${process.platform}-${process.arch}`;
  return path.join(root, 'prebuilds', dir, `weakwire${libc}.node`);
}

function upToDate() {
  try {
    return fs.statSync(ownPrebuild()).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

function main() {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const extra = args.filter((arg) => arg !== '--force');
  if (!force && extra.length === 0 && upToDate()) {
    console.log(`prebuild: ${path.relative(root, ownPrebuild())} is up to date (--force rebuilds)`);
    return 0;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'weakwire-prebuild-'));
  try {
    for (const relative of SOURCES) copy(relative, work);
    // The gyp file asks node-addon-api for its targets; node_modules is only read, never written.
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'junction');

    const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
    // The libc tag (glibc/musl) only means something on Linux; elsewhere the name stays plain.
    const tags = process.platform === 'linux' ? ['--tag-libc'] : [];
    const args = [prebuildify, '--napi', '--strip', ...tags, ...extra];
    const result = spawnSync(process.execPath, args, { cwd: work, stdio: 'inherit' });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      console.error(`prebuild: prebuildify exited with ${result.status ?? result.signal}`);
      return 1;
    }

    const built = path.join(work, 'prebuilds');
    fs.cpSync(built, path.join(root, 'prebuilds'), { recursive: true });
    for (const platform of fs.readdirSync(built)) {
      for (const file of fs.readdirSync(path.join(built, platform))) {
        console.log(`prebuild: prebuilds/${platform}/${file}`);
      }
    }
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main();
