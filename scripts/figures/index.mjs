#!/usr/bin/env node
// The docs' figures, generated from results files, never typed.
//
//   npm run docs:figures   rewrite the figure blocks of README.md and docs/ from the results files
//   npm run docs:measure   build every prebuild, measure them and the tarball, then rewrite
//   npm run docs:check     exit 1 when a document's blocks differ from what the results say
//                          (-- --live: also re-measure the prebuilds and the tarball and compare
//                          them with the recorded ones; CI runs this after building them all)
//
// The blocks and the results file each is drawn from: scripts/figures/render.mjs and results.mjs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPrebuilds, measurePrebuilds, measureTarball } from './measure.mjs';
import { DOCUMENTS, render } from './render.mjs';
import { RESULTS, readResults, root } from './results.mjs';

/** Relative size change of the tarball that still counts as the recorded figure. */
const TARBALL_TOLERANCE = 0.02;

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

function writeJson(name, value) {
  writeFileSync(join(root, RESULTS[name]), `${JSON.stringify(value, null, 2)}\n`);
  console.error(`figures: wrote ${RESULTS[name]}`);
}

/** The first lines where two texts differ, for a message. */
function difference(expected, actual) {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  results say: ${a[i] ?? '(nothing)'}\n  document has: ${b[i] ?? '(nothing)'}`;
  }
  return '';
}

/** Differences between the recorded package figures and the package as it is built now. */
function liveProblems() {
  const problems = [];
  buildPrebuilds();
  const recorded = readResults('prebuilds').prebuilds;
  const now = measurePrebuilds();
  for (const prebuild of now) {
    const before = recorded.find((entry) => entry.id === prebuild.id);
    if (JSON.stringify(before) !== JSON.stringify(prebuild)) {
      problems.push(`prebuild ${prebuild.id}: recorded ${JSON.stringify(before)}, now ${JSON.stringify(prebuild)}`);
    }
  }
  const tarball = readResults('tarball');
  const packed = measureTarball();
  const [was, is] = [tarball.files.map((file) => file.path), packed.files.map((file) => file.path)];
  const added = is.filter((file) => !was.includes(file));
  const removed = was.filter((file) => !is.includes(file));
  if (added.length > 0 || removed.length > 0) problems.push(`tarball files: added ${added.join(', ') || 'none'}; removed ${removed.join(', ') || 'none'}`);
  const change = packed.size / tarball.size - 1;
  if (Math.abs(change) > TARBALL_TOLERANCE) {
    problems.push(`tarball size: recorded ${tarball.size} bytes, now ${packed.size} (${(change * 100).toFixed(1)} %, more than ${TARBALL_TOLERANCE * 100} %)`);
  }
  return problems;
}

function main() {
  if (args.includes('--measure')) {
    buildPrebuilds();
    writeJson('prebuilds', { prebuilds: measurePrebuilds() });
    writeJson('tarball', measureTarball());
  }
  const check = args.includes('--check');
  // --file checks another copy of a document (as the document --as names), for the tests.
  const documents = option('--file') ? [[option('--as') ?? 'README.md', option('--file')]] : DOCUMENTS.map((name) => [name, join(root, name)]);
  const stale = [];
  for (const [name, file] of documents) {
    const text = readFileSync(file, 'utf8');
    const expected = render(text, name);
    if (expected === text) continue;
    if (check) stale.push(`${name} ${difference(expected, text)}`);
    else {
      writeFileSync(file, expected);
      console.error(`figures: rewrote the figure blocks of ${name}`);
    }
  }
  if (check && args.includes('--live')) stale.push(...liveProblems());
  if (stale.length > 0) {
    for (const problem of stale) console.error(`figures: ${problem}`);
    console.error('figures: the docs and the results disagree. Re-measure what changed (npm run bench, ' +
      'test:runtimes, docs:measure, docs:time-tests), then `npm run docs:figures`.');
    return 1;
  }
  if (check) console.log(`figures: ${documents.map(([name]) => name).join(', ')} agree with the results files`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(`figures: ${error.message}`);
  process.exitCode = 1;
}
