#!/usr/bin/env node
'use strict';
/**
 * `npm run prebuild:cross`: builds the cross targets of scripts/cross/targets.js into prebuilds/,
 * straight from binding.gyp's sources with each target's cross compiler (toolchain.js), then
 * checks each binary's format and architecture (inspect.js).
 *
 *   node scripts/cross/build.js [--only linux-arm64-glibc,win32-x64] [--force]
 *
 * A target whose binary is newer than every native source and build script is left alone unless
 * --force. A missing toolchain fails the run and names what installs it (scripts/cross/tools.js);
 * nothing is skipped silently.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TARGETS, prebuildPath } = require('./targets');
const { buildCommands, writeNodeDef } = require('./toolchain');
const { describe, check } = require('./inspect');
const { which } = require('./tools');

const root = path.join(__dirname, '..', '..');
/** Build jobs at once: the machine has two cores, shared. */
const JOBS = Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));

function newest(paths) {
  let latest = 0;
  const visit = (file) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    else latest = Math.max(latest, stat.mtimeMs);
  };
  for (const file of paths) visit(path.join(root, file));
  return latest;
}

function upToDate(target) {
  try {
    const built = fs.statSync(path.join(root, prebuildPath(target))).mtimeMs;
    return built >= newest(['binding.gyp', 'src/native', 'scripts/cross']);
  } catch {
    return false;
  }
}

function exec([command, args, env]) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stderr);
      else reject(new Error(`${path.basename(command)} ${args.slice(-3).join(' ')} failed (${signal ?? code}):\n${stderr}`));
    });
  });
}

/** Runs commands with at most JOBS at once; warnings on stderr are printed, not fatal. */
async function pool(commands) {
  const queue = [...commands];
  const workers = Array.from({ length: Math.min(JOBS, queue.length) }, async () => {
    while (queue.length > 0) {
      const stderr = await exec(queue.shift());
      if (stderr.trim()) process.stderr.write(stderr);
    }
  });
  await Promise.all(workers);
}

async function build(target) {
  const output = path.join(root, prebuildPath(target));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `weakwire-${target.id}-`));
  try {
    const partial = path.join(work, target.file);
    const { prepare, compiles, link, needsNodeDef } = buildCommands(target, work, partial);
    if (needsNodeDef) writeNodeDef(work);
    for (const command of prepare) await exec(command);
    await pool(compiles);
    await exec(link);
    const facts = describe(partial);
    const problems = check(target, facts);
    if (problems.length > 0) throw new Error(`${target.id}: the binary is not what was asked for: ${problems.join('; ')}`);
    fs.mkdirSync(path.dirname(output), { recursive: true });
    fs.copyFileSync(partial, output);
    return facts;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function parseArgs(argv) {
  const options = { force: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') options.force = true;
    else if (argv[i] === '--only') options.only = new Set(argv[++i].split(','));
    else throw new TypeError(`prebuild:cross: unknown argument ${argv[i]}`);
  }
  if (options.only) {
    const unknown = [...options.only].filter((id) => !TARGETS.some((target) => target.id === id));
    if (unknown.length > 0) throw new TypeError(`prebuild:cross: unknown target ${unknown.join(', ')}`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const chosen = TARGETS.filter((target) => !options.only || options.only.has(target.id));
  let failed = 0;
  for (const target of chosen) {
    const started = Date.now();
    if (!options.force && upToDate(target)) {
      console.log(`prebuild:cross: ${prebuildPath(target)} is up to date (--force rebuilds)`);
      continue;
    }
    const missing = which(target).filter((tool) => !tool.found);
    if (missing.length > 0) {
      failed++;
      console.error(`prebuild:cross: ${target.id}: ${missing.map((tool) => tool.name).join(', ')} not found; ` +
        'install with `node scripts/cross/tools.js` (what .ci/run does)');
      continue;
    }
    try {
      const facts = await build(target);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`prebuild:cross: ${prebuildPath(target)} (${facts.summary}) in ${seconds} s`);
    } catch (error) {
      failed++;
      console.error(`prebuild:cross: ${target.id} failed: ${error.message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
