// npm run bench:check: a short run of every case (5 rounds, medians) that fails when a ratio is
// past its target by more than the noise it measured (twice the ratio's relative spread, at
// least BENCH_MIN_NOISE, default 20 %).
// --against=recorded: for targets the recorded bench/results.json already misses, guard against
// regressions instead: the limit becomes that recorded figure.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureAll, PROFILES } from './lib/measure.mjs';
import { TARGETS, evaluateTargets } from './targets.mjs';
import { round } from './lib/stats.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('bench:check: run with node --expose-gc (npm run bench:check does)');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const againstRecorded = process.argv.includes('--against=recorded');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');

if (againstRecorded) {
  const path = join(here, 'results.json');
  if (!existsSync(path)) throw new Error(`--against=recorded needs ${path} (run npm run bench first)`);
  const recorded = JSON.parse(readFileSync(path, 'utf8'));
  for (const target of TARGETS) {
    const before = recorded.targets?.find((t) => t.id === target.id);
    if (before?.measured !== undefined && before.measured > target.limit) target.limit = before.measured;
  }
}

const { cases, ratios } = await measureAll(PROFILES.quick, { only });
const targets = evaluateTargets({ cases, ratios }, { allowNoise: true });
let failed = 0;
for (const t of targets) {
  const measured = t.measured === undefined ? t.reason : `${round(t.measured, 3)} ±${round((t.noise ?? 0) * 100, 1)}%`;
  const status = t.status === 'missed' ? 'FAIL' : t.status === 'met' ? 'ok' : 'n/a';
  if (t.status === 'missed') failed++;
  console.log(`${status.padEnd(4)} ${t.label}: ${measured} (limit ${round(t.limit, 3)})`);
}
const passed = targets.filter((t) => t.status === 'met').length;
console.log(`bench:check: ${passed} passed, ${failed} failed, ${targets.length - passed - failed} not available`);
process.exit(failed > 0 ? 1 : 0);
