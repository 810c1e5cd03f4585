// npm run bench: every case, side by side, in one run. Writes bench/results.json, bench/results.svg
// and bench/results.md (the README's tables are drawn from results.json by `npm run docs:figures`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/env.mjs';
import { measureAll, PROFILES } from './lib/measure.mjs';
import { markdown, printTable } from './lib/report.mjs';
import { ratioChartSvg } from './lib/chart.mjs';
import { evaluateTargets } from './targets.mjs';
import { benchRoot } from './lib/weakwire.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('bench: run with node --expose-gc (npm run bench does)');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const outDir = args.find((a) => a.startsWith('--out='))?.slice(6) ?? here;
const profileName = args.includes('--quick') ? 'quick' : 'full';
const profile = PROFILES[profileName];

// --render: redraw results.md and results.svg from an existing results.json, measuring nothing.
if (args.includes('--render')) {
  const { readFileSync } = await import('node:fs');
  const recorded = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
  writeFileSync(join(outDir, 'results.md'), `${markdown(recorded, recorded.targets)}\n`);
  writeFileSync(join(outDir, 'results.svg'), await ratioChartSvg(recorded.targets));
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
const started = Date.now();
const measured = await measureAll(profile, { only });
const results = {
  machine: machineInfo(),
  profile: { name: profileName, ...profile },
  weakwireRoot: benchRoot,
  durationSeconds: Math.round((Date.now() - started) / 1000),
  ...measured,
};
const targets = evaluateTargets(results);
results.targets = targets;
printTable(results, targets);
writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(outDir, 'results.md'), `${markdown(results, targets)}\n`);
writeFileSync(join(outDir, 'results.svg'), await ratioChartSvg(targets));
console.error(`[bench] wrote ${join(outDir, 'results.{json,md,svg}')} in ${results.durationSeconds} s`);
// weak-napi keeps native state that can crash at teardown; exit explicitly once everything is written.
process.exit(0);
