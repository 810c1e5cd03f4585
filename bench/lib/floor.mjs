// The Node-API floor (bench/floor/floor.cc), a benchmark peer: built here on first use with the
// repository's node-gyp, into bench/floor/build/ (git-ignored, never part of the package).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const floorDir = join(repoRoot, 'bench', 'floor');
const binary = join(floorDir, 'build', 'Release', 'floor.node');

/** Builds the floor addon unless it is there already. Throws with node-gyp's output on failure. */
export function buildFloor({ force = false } = {}) {
  if (existsSync(binary) && !force) return binary;
  const nodeGyp = join(repoRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const args = [nodeGyp, 'rebuild'];
  // The running Node's own headers when they are installed next to it (as scripts/build-asan.sh).
  const prefix = resolve(process.execPath, '..', '..');
  if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);
  else if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`);
  const result = spawnSync(process.execPath, args, { cwd: floorDir, encoding: 'utf8' });
  if (result.status !== 0 || !existsSync(binary)) {
    throw new Error(`building bench/floor failed:\n${result.stdout}\n${result.stderr}`);
  }
  return binary;
}

/**
 * { track(target, id), drain(): Uint32Array, poll(onDeath) }: poll drains the ids collected so
 * far and calls onDeath(id) for each, which is what the floor's JavaScript side does.
 */
export function loadFloor() {
  const floor = require(buildFloor());
  return {
    track: floor.track,
    drain: floor.drain,
    poll(onDeath) {
      const ids = floor.drain();
      for (let i = 0; i < ids.length; i++) onDeath(ids[i]);
      return ids.length;
    },
  };
}
