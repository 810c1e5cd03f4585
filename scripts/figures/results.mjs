// Where each results file is, and reading them. The generator only reads results; the commands
// that measure write them (see the README, "Figures").
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const RESULTS = {
  bench: 'bench/results.json', // npm run bench
  scaling: 'bench/scaling.json', // npm run bench:scaling
  runtimes: 'scripts/runtimes/results.json', // npm run test:runtimes
  prebuilds: 'scripts/figures/prebuilds.json', // npm run docs:measure
  tarball: 'scripts/figures/tarball.json', // npm run docs:measure
  testTime: 'scripts/figures/test-time.json', // npm run docs:time-tests
};

export function readResults(name) {
  const file = join(root, RESULTS[name]);
  if (!existsSync(file)) throw new Error(`${RESULTS[name]} is missing: the command that measures it writes it`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

export const rel = (file) => relative(root, file);
