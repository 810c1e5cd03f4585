'use strict';
/**
 * Every prebuilt binary this machine can make besides its own (HOST, linux-x64 glibc, which
 * scripts/prebuild.js builds with prebuildify), with the toolchain that makes it and the way it is
 * run here, if any. The file names follow node-gyp-build's rules: `prebuilds/<platform>-<arch>/`,
 * then tags between dots; `glibc`/`musl` must match the libc node-gyp-build detects (musl only where
 * /etc/alpine-release exists), and a file without a libc tag fits any libc.
 *
 * `runs` says where the binary is tested: `qemu` and `wine` run the portable suite on that
 * platform's own Node.js build (scripts/runtimes/run.js); `null` means built, not run, and the
 * README's platform table says so.
 */

/** @typedef {{ id: string, platform: string, arch: string, libc?: string, file: string,
 *   toolchain: 'gnu' | 'mingw' | 'zig', prefix?: string, zigTarget?: string, runs: 'qemu' | 'wine' | null,
 *   packages: string[] }} Target */

/** @type {Target[]} */
const TARGETS = [
  {
    id: 'linux-arm64-glibc',
    platform: 'linux',
    arch: 'arm64',
    libc: 'glibc',
    file: 'weakwire.glibc.node',
    toolchain: 'gnu',
    prefix: 'aarch64-linux-gnu-',
    runs: 'qemu',
    // The cross compiler brings the arm64 glibc and libstdc++ that qemu runs Node.js with.
    packages: ['g++-aarch64-linux-gnu', 'qemu-user-static'],
  },
  {
    id: 'win32-x64',
    platform: 'win32',
    arch: 'x64',
    file: 'weakwire.node',
    toolchain: 'mingw',
    prefix: 'x86_64-w64-mingw32-',
    runs: 'wine',
    packages: ['g++-mingw-w64-x86-64', 'wine64'],
  },
  {
    id: 'linux-x64-musl',
    platform: 'linux',
    arch: 'x64',
    libc: 'musl',
    file: 'weakwire.musl.node',
    toolchain: 'zig',
    zigTarget: 'x86_64-linux-musl',
    runs: null,
    packages: [],
  },
  {
    id: 'linux-arm64-musl',
    platform: 'linux',
    arch: 'arm64',
    libc: 'musl',
    file: 'weakwire.musl.node',
    toolchain: 'zig',
    zigTarget: 'aarch64-linux-musl',
    runs: null,
    packages: [],
  },
  {
    id: 'darwin-x64',
    platform: 'darwin',
    arch: 'x64',
    file: 'weakwire.node',
    toolchain: 'zig',
    // binding.gyp says 10.15, but Zig 0.11 ships macOS headers for 11 and later only.
    zigTarget: 'x86_64-macos.11.0',
    runs: null,
    packages: [],
  },
  {
    id: 'darwin-arm64',
    platform: 'darwin',
    arch: 'arm64',
    file: 'weakwire.node',
    toolchain: 'zig',
    // The first macOS for Apple silicon.
    zigTarget: 'aarch64-macos.11.0',
    runs: null,
    packages: [],
  },
];

/**
 * This machine's own prebuild, which scripts/prebuild.js makes with prebuildify and node-gyp (the
 * way the GitHub workflow makes every platform's on that platform). The project builds on
 * linux-x64 with glibc.
 */
const HOST = {
  id: 'linux-x64-glibc',
  platform: 'linux',
  arch: 'x64',
  libc: 'glibc',
  file: 'weakwire.glibc.node',
  toolchain: 'node-gyp',
  runs: 'here',
  packages: [],
};

/** `prebuilds/<platform>-<arch>/<file>`, relative to the package root. */
function prebuildPath(target) {
  return `prebuilds/${target.platform}-${target.arch}/${target.file}`;
}

module.exports = { HOST, TARGETS, prebuildPath };
