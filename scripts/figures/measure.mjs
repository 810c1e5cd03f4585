// Measures what the package docs state about the package itself: each prebuilt binary (format,
// architecture, what it needs, the compiler that made it) and the tarball `npm pack` makes (size,
// files). Needs every prebuild, so it builds the missing or stale ones first (npm run
// prebuild:all, which needs the cross toolchains: node scripts/cross/tools.js).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './results.mjs';

const require = createRequire(import.meta.url);
const { HOST, TARGETS, prebuildPath } = require('../cross/targets.js');
const { describe } = require('../cross/inspect.js');
const { zigBinary } = require('../cross/toolchain.js');

function npm() {
  const fromNpm = process.env.npm_execpath;
  return fromNpm && /npm-cli\.js$/.test(fromNpm) ? [process.execPath, fromNpm] : ['npm'];
}

function compiler(target) {
  const version = (command, args) => execFileSync(command, args, { encoding: 'utf8' }).trim();
  switch (target.toolchain) {
    case 'node-gyp':
      return `g++ ${version('g++', ['-dumpfullversion'])} (node-gyp, prebuildify)`;
    case 'gnu':
      return `${target.prefix}g++ ${version(`${target.prefix}g++`, ['-dumpfullversion'])}`;
    case 'mingw':
      return `MinGW-w64 GCC ${version(`${target.prefix}g++-posix`, ['-dumpfullversion']).replace(/-posix$/, '')} (posix threads, static runtime)`;
    case 'zig':
      return `Zig ${version(zigBinary(), ['version'])} (\`zig c++ -target ${target.zigTarget}\`)`;
    default:
      throw new TypeError(`unknown toolchain ${target.toolchain}`);
  }
}

/** Builds what is missing or stale: both commands do nothing for an up-to-date binary. */
export function buildPrebuilds() {
  for (const script of ['scripts/prebuild.js', 'scripts/cross/build.js']) {
    const result = spawnSync(process.execPath, [join(root, script)], { cwd: root, stdio: ['ignore', 2, 2] });
    if (result.status !== 0) throw new Error(`${script} failed: build every prebuild first (npm run prebuild:all)`);
  }
}

/** Facts about every prebuild, in the order of the README's platform table. */
export function measurePrebuilds() {
  return [HOST, ...TARGETS].map((target) => {
    const file = prebuildPath(target);
    if (!existsSync(join(root, file))) throw new Error(`${file} is missing: npm run prebuild:all`);
    const { format, arch, needs, glibc, glibcxx, minimumOS } = describe(join(root, file));
    return {
      id: target.id,
      platform: target.platform,
      arch: target.arch,
      libc: target.libc ?? null,
      file,
      compiler: compiler(target),
      runs: target.runs,
      format,
      binaryArch: arch,
      needs,
      glibc: glibc ?? null,
      glibcxx: glibcxx ?? null,
      minimumOS: minimumOS ?? null,
    };
  });
}

/** What `npm pack` packs now (prepare and prepack run: dist/ and this machine's prebuild). */
export function measureTarball() {
  const [command, ...prefix] = npm();
  const out = execFileSync(command, [...prefix, 'pack', '--dry-run', '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [report] = JSON.parse(out);
  return {
    size: report.size,
    unpackedSize: report.unpackedSize,
    entryCount: report.entryCount,
    files: report.files.map((file) => ({ path: file.path, size: file.size })).sort((a, b) => a.path.localeCompare(b.path)),
  };
}
