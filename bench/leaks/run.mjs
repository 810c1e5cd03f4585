// npm run bench:leaks: the leak corpus (corpus.cjs) against jest-leak-detector and weakwire, each
// check under Jest as a user runs it. Writes bench/leaks-results.json and bench/leaks.md, and the
// README's table between <!-- leaks:start --> and <!-- leaks:end -->.
//
//   npm run bench:leaks                      10 runs of every scenario with every tool
//   npm run bench:leaks -- --runs=3          fewer runs
//   npm run bench:leaks -- --only=Map        scenarios whose name matches
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, writeReport } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const arg = (name, fallback) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
};
const runs = Number(arg('runs', 10));
const only = arg('only', undefined);
const TOOLS = ['jest-leak-detector', 'weakwire toBeCollected', 'weakwire expectNoLeak'];

const out = path.join(root, 'bench', '.tmp', `leaks-${process.pid}.jsonl`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.rmSync(out, { force: true });
const loadBefore = os.loadavg();
const started = Date.now();
for (const tool of TOOLS) {
  console.log(`bench:leaks: ${tool}, ${runs} run(s) per scenario...`);
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', path.join(here, 'jest.config.cjs'), '--ci', '--silent'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LEAK_TOOL: tool, LEAK_RUNS: String(runs), LEAK_OUT: out, ...(only ? { LEAK_ONLY: only } : {}) },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (child.status !== 0) {
    console.error(child.stdout, child.stderr);
    throw new Error(`bench:leaks: the ${tool} run failed (exit ${child.status})`);
  }
}
const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const results = summarize(rows, {
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores)`,
  loadAverage: { before: loadBefore.map((n) => Number(n.toFixed(2))), after: os.loadavg().map((n) => Number(n.toFixed(2))) },
  minutes: Number(((Date.now() - started) / 60000).toFixed(1)),
  runs,
  only: only ?? null,
});
writeReport(results, root, { readme: only === undefined });
console.log(fs.readFileSync(path.join(root, 'bench', 'leaks.md'), 'utf8'));
