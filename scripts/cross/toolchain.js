'use strict';
/**
 * The compile and link commands for one cross target. The sources, defines and C++ flags come from
 * binding.gyp, plus what node-gyp and node-addon-api's `node_addon_api_except` target add to them,
 * so a cross-built binary is the addon node-gyp would build on that platform (test/package/
 * cross_parity.test.ts checks the two stay in step).
 *
 * Node-API headers come from the `node-api-headers` package: the binaries use Node-API only, so no
 * Node.js headers of the target platform are needed.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

/** binding.gyp's one target (the file is plain JSON). */
function gypTarget() {
  const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8'));
  return gyp.targets[0];
}

/** Defines node-gyp adds to every addon, and the one `node_addon_api_except` adds. */
const GYP_DEFINES = ['BUILDING_NODE_EXTENSION', 'NAPI_CPP_EXCEPTIONS'];

/**
 * node-gyp's Release flags on Linux that are not specific to ELF (common.gypi: warnings, frame
 * pointers, no RTTI; node_addon_api_except turns exceptions back on).
 */
const GYP_CXX_FLAGS = ['-Wall', '-Wextra', '-Wno-unused-parameter', '-fno-omit-frame-pointer', '-fno-rtti', '-fexceptions'];

function includeDirs() {
  // node-addon-api's include_dir is relative to the working directory; its headers sit at its root.
  const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [root] }));
  return [addonApi, require(require.resolve('node-api-headers', { paths: [root] })).include_dir];
}

/** What every compile of every target gets: defines, includes, language and optimisation flags. */
function commonFlags() {
  const gyp = gypTarget();
  return [
    ...gyp.cflags_cc,
    ...GYP_CXX_FLAGS,
    ...[...gyp.defines, ...GYP_DEFINES, `NODE_GYP_MODULE_NAME=${gyp.target_name}`].map((define) => `-D${define}`),
    ...includeDirs().map((dir) => `-I${dir}`),
    // Paths in __FILE__ (node-addon-api's fatal-error messages) do not depend on the checkout.
    `-ffile-prefix-map=${root}${path.sep}=`,
  ];
}

/** The zig binary: ZIG, or `zig` from the npm package scripts/cross/tools.js installs. */
function zigBinary() {
  return process.env.ZIG || path.join(root, '.cache', 'tools', 'zig', 'zig');
}

/**
 * Zig's global cache, where it keeps libc++ and libc built for each target (about 100 s per new
 * target here). It lives outside the checkout, in the user's cache folder, so that fresh clones
 * on the same machine (CI) build them once, not in every run.
 */
function zigCache() {
  const base = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
  return path.join(base, 'weakwire', 'zig');
}

/**
 * Compiler, per-target compile flags and link flags. Each toolchain links the way that platform's
 * node-gyp build does: ELF and Mach-O leave Node-API symbols to be resolved from the process at
 * load time; Windows binaries import them from NODE.EXE through a delay-load hook that answers
 * with the running executable, so they load in node.exe, electron.exe or any renamed host.
 */
function toolchain(target, work) {
  switch (target.toolchain) {
    case 'gnu':
      return {
        cxx: [`${target.prefix}g++`],
        compile: ['-fPIC', '-pthread'],
        link: ['-shared', '-pthread', '-rdynamic', `-Wl,-soname=${gypTarget().target_name}.node`, '-s'],
      };
    case 'mingw':
      return {
        // The posix thread model: std::mutex and std::thread exist (GCC 12's win32 model lacks them);
        // -static links libstdc++, libgcc and winpthread in, so the binary needs no MinGW DLL.
        cxx: [`${target.prefix}g++-posix`],
        compile: ['-D_HAS_EXCEPTIONS=1'],
        link: ['-shared', '-static', '-s', path.join(work, 'delay_load_hook.o'), `-L${work}`, '-lnode_delay'],
        prepare: [
          [`${target.prefix}dlltool`, ['-d', path.join(work, 'node.def'), '-y', path.join(work, 'libnode_delay.a')]],
          [`${target.prefix}gcc-posix`, ['-c', '-O2', '-o', path.join(work, 'delay_load_hook.o'), path.join(__dirname, 'delay_load_hook.c')]],
        ],
      };
    case 'zig': {
      const zig = zigBinary();
      const darwin = target.platform === 'darwin';
      return {
        cxx: [zig, 'c++', '-target', target.zigTarget],
        compile: darwin ? [] : ['-fPIC', '-pthread'],
        link: darwin
          ? ['-shared', '-Wl,-undefined,dynamic_lookup', '-s']
          : ['-shared', '-pthread', `-Wl,-soname=${gypTarget().target_name}.node`, `-Wl,--version-script=${path.join(__dirname, 'exports.map')}`, '-s'],
        env: { ZIG_GLOBAL_CACHE_DIR: zigCache(), ZIG_LOCAL_CACHE_DIR: path.join(work, 'zig-cache') },
      };
    }
    default:
      throw new TypeError(`unknown toolchain ${target.toolchain}`);
  }
}

/** One Windows import library for both Node-API .def files (both name NODE.EXE). */
function writeNodeDef(work) {
  const defs = require(require.resolve('node-api-headers', { paths: [root] })).def_paths;
  const names = new Set();
  for (const file of Object.values(defs)) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((line) => line.trim());
    for (const line of lines.slice(lines.indexOf('EXPORTS') + 1)) if (line) names.add(line);
  }
  fs.writeFileSync(path.join(work, 'node.def'), `NAME NODE.EXE\nEXPORTS\n${[...names].sort().join('\n')}\n`);
}

/**
 * The commands that build `target` into `output`, objects in `work`, as [command, args, env]:
 * `prepare` (import library, hook) first, then the `compiles` (independent of each other), then
 * the `link`.
 */
function buildCommands(target, work, output) {
  const gyp = gypTarget();
  const tool = toolchain(target, work);
  const [cxx, ...cxxArgs] = tool.cxx;
  const common = commonFlags();
  const objects = gyp.sources.map((source) => path.join(work, `${path.basename(source, path.extname(source))}.o`));
  return {
    prepare: (tool.prepare ?? []).map(([command, args]) => [command, args]),
    compiles: gyp.sources.map((source, i) => [
      cxx,
      [...cxxArgs, ...common, ...tool.compile, '-c', path.join(root, source), '-o', objects[i]],
      tool.env,
    ]),
    link: [cxx, [...cxxArgs, ...objects, ...tool.link, '-o', output], tool.env],
    needsNodeDef: target.toolchain === 'mingw',
  };
}

module.exports = { buildCommands, writeNodeDef, commonFlags, gypTarget, zigBinary, GYP_DEFINES, GYP_CXX_FLAGS };
