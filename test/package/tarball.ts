/**
 * Helpers for the package tests: pack the real tarball, install it into a fresh project the way a
 * consumer would (install scripts disabled, no compiler on PATH), and run node there.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.join(__dirname, '..', '..');

/** Tools a source build needs; none of them may be reachable from the consumer's PATH. */
export const BUILD_TOOLS = ['g++', 'gcc', 'c++', 'cc', 'clang', 'clang++', 'make', 'python3', 'python'];

/** npm's own CLI script, run with this node so the test does not depend on PATH. */
export function npmCli(): string {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return fromNpm;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'npm');
    if (!fs.existsSync(candidate)) continue;
    const real = fs.realpathSync(candidate);
    const cli = path.join(path.dirname(real), 'npm-cli.js');
    if (fs.existsSync(cli)) return cli;
  }
  throw new Error('npm-cli.js not found: run the tests through npm or put npm on PATH');
}

/** A folder holding only a link to this node: a PATH on which no compiler, make or python exists. */
export function compilerFreeBin(into: string): string {
  const bin = path.join(into, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  return bin;
}

/** This environment without anything that would make weakwire load another binary or build. */
export function cleanEnv(pathValue: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key)) continue; // settings of the npm that runs the tests
    if (key === 'WEAKWIRE_NATIVE_PATH' || key === 'PREBUILDS_ONLY' || key === 'WEAKWIRE_PREBUILD') {
      continue;
    }
    if (key === 'NODE_OPTIONS' || key.startsWith('JEST_')) continue;
    env[key] = value;
  }
  env.PATH = pathValue;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return env;
}

export function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return result;
}

function check(what: string, result: SpawnSyncReturns<string>): SpawnSyncReturns<string> {
  if (result.status !== 0) {
    throw new Error(
      `${what} exited with ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** `npm pack` in the repository (runs prepack: TypeScript and the prebuild). Returns the .tgz. */
export function pack(into: string): string {
  const result = check(
    'npm pack',
    run(process.execPath, [npmCli(), 'pack', '--json', '--pack-destination', into], {
      cwd: repoRoot,
      env: { ...cleanEnv(process.env.PATH ?? ''), npm_config_nodedir: process.env.npm_config_nodedir },
    }),
  );
  // Strict: `npm pack --json` must print JSON and nothing else (prepack writes to stderr).
  const [{ filename }] = JSON.parse(result.stdout) as Array<{ filename: string }>;
  return path.join(into, filename);
}

/**
 * What `npm pack` would put in the tarball, by npm's own rules (the `files` list, npm's always and
 * never lists), without building or packing: `--dry-run --ignore-scripts`.
 */
export function packedFiles(): string[] {
  const result = check(
    'npm pack --dry-run',
    run(process.execPath, [npmCli(), 'pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      env: cleanEnv(process.env.PATH ?? ''),
    }),
  );
  const [{ files }] = JSON.parse(result.stdout) as Array<{ files: Array<{ path: string }> }>;
  return files.map((file) => file.path).sort();
}

/** The paths inside a tarball, without the leading `package/`. */
export function tarballFiles(tarball: string): string[] {
  const result = check('tar', run('tar', ['-tzf', tarball], { cwd: os.tmpdir(), env: process.env }));
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''))
    .sort();
}

export interface Project {
  dir: string;
  /** PATH for everything run in the project: node only. */
  pathValue: string;
  env: NodeJS.ProcessEnv;
  /** Runs `node <args>` in the project with the compiler-free PATH. */
  node(args: string[]): SpawnSyncReturns<string>;
}

/**
 * A new project that depends on the tarball, installed with `--ignore-scripts` and a PATH without
 * any build tool, as npm 11 does for a dependency whose install script was not approved.
 */
export function installInto(dir: string, tarball: string): Project {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'weakwire-consumer', version: '1.0.0', private: true }, null, 2),
  );
  const pathValue = compilerFreeBin(dir);
  const env = cleanEnv(pathValue);
  check(
    'npm install',
    run(
      process.execPath,
      [npmCli(), 'install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', tarball],
      { cwd: dir, env },
    ),
  );
  return {
    dir,
    pathValue,
    env,
    node: (args) => run(process.execPath, args, { cwd: dir, env }),
  };
}

/** Build tools reachable on a PATH value (expected: none). */
export function buildToolsOn(pathValue: string): string[] {
  const found: string[] = [];
  for (const dir of pathValue.split(path.delimiter)) {
    for (const tool of BUILD_TOOLS) {
      if (fs.existsSync(path.join(dir, tool))) found.push(path.join(dir, tool));
    }
  }
  return found;
}
