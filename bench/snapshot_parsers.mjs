// npm run bench:snapshots: how long it takes to get a retainer answer out of one V8 heap snapshot
// with weakwire's own reader (src/ts/testing/heap_snapshot.ts) and with the maintained libraries
// that could do the job. Each parse runs in a fresh process, several times; writes
// bench/snapshot-parsers.json. Why: docs/leak-testing.md, "What holds the object".
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const tmp = path.join(here, '.tmp');
const file = path.join(tmp, 'parsers.heapsnapshot');
const ROUNDS = 3;

// A heap like a ts-jest worker's: TypeScript's compiler loaded and used, plus one object to find.
function makeSnapshot() {
  fs.mkdirSync(tmp, { recursive: true });
  const script = `
    const ts = require(${JSON.stringify(path.join(root, 'node_modules', 'typescript'))});
    globalThis.program = ts.createProgram([${JSON.stringify(path.join(root, 'src', 'ts', 'index.ts'))}], { noEmit: true });
    globalThis.program.getTypeChecker();
    class WeakwireParserTarget {}
    globalThis.store = { cache: new Map([['k', new WeakwireParserTarget()]]) };
    // Cache every script's line ends first, as weakwire does: without it V8 11 takes minutes here.
    const session = new (require('node:inspector').Session)();
    session.connect();
    session.post('Debugger.enable', () => {});
    session.post('Debugger.disable', () => {});
    session.disconnect();
    require('node:v8').writeHeapSnapshot(${JSON.stringify(file)});`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

// Each parser, run in a child: prints one JSON line { parseMs, queryMs }.
const PARSERS = {
  'weakwire (V8 format read directly)': `
    const { HeapGraph } = require(${JSON.stringify(path.join(root, 'dist', 'testing', 'heap_snapshot.js'))});
    const t0 = performance.now();
    const g = new HeapGraph(JSON.parse(require('node:fs').readFileSync(FILE, 'utf8')));
    const t1 = performance.now();
    let target; for (let n = 0; n < g.nodeCount; n++) if (g.name(n) === 'WeakwireParserTarget' && g.type(n) === 'object') target = n;
    const steps = g.pathTo(g.retainerTree(), target);
    if (!steps || steps.length < 3) throw new Error('no path');
    console.log(JSON.stringify({ parseMs: t1 - t0, queryMs: performance.now() - t1, query: 'shortest retainer path from the root' }));`,
  'heap-snapshot-toolkit (Chromium DevTools)': `
    (async () => {
      const { parse } = await import('heap-snapshot-toolkit');
      const t0 = performance.now();
      const snap = await parse(require('node:fs').createReadStream(FILE, 'utf-8'));
      const t1 = performance.now();
      const aggregates = snap.aggregatesWithFilter({});
      if (!Object.values(aggregates).some((a) => a.name === 'WeakwireParserTarget')) throw new Error('not found');
      console.log(JSON.stringify({ parseMs: t1 - t0, queryMs: performance.now() - t1, query: 'objects per class (no path-from-root API)' }));
    })();`,
  '@vscode/v8-heap-parser (WASM)': `
    const { decode_bytes } = require('@vscode/v8-heap-parser');
    const t0 = performance.now();
    const g = decode_bytes(new Uint8Array(require('node:fs').readFileSync(FILE)));
    const t1 = performance.now();
    const counts = g.get_class_counts(['WeakwireParserTarget']);
    if (counts[0] !== 1) throw new Error('not found');
    console.log(JSON.stringify({ parseMs: t1 - t0, queryMs: performance.now() - t1, query: 'objects of one class (retainers only up a distance)' }));`,
};

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

makeSnapshot();
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} cores)`,
  loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
  snapshotBytes: fs.statSync(file).size,
  rounds: ROUNDS,
  parsers: {},
};
for (const [name, code] of Object.entries(PARSERS)) {
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = spawnSync(process.execPath, ['-e', `const FILE = ${JSON.stringify(file)};\n${code}`], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  results.parsers[name] = {
    query: runs[0].query,
    parseMs: Math.round(median(runs.map((r) => r.parseMs))),
    queryMs: Math.round(median(runs.map((r) => r.queryMs))),
    parseMsRange: [Math.round(Math.min(...runs.map((r) => r.parseMs))), Math.round(Math.max(...runs.map((r) => r.parseMs)))],
  };
}
fs.rmSync(file, { force: true });
fs.writeFileSync(path.join(root, 'bench', 'snapshot-parsers.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`snapshot of ${(results.snapshotBytes / 1e6).toFixed(1)} MB, median of ${ROUNDS} fresh processes, load ${results.loadAverage[0]}`);
for (const [name, r] of Object.entries(results.parsers)) {
  console.log(`${name.padEnd(45)} parse ${String(r.parseMs).padStart(6)} ms (${r.parseMsRange.join('-')})  then ${r.queryMs} ms for: ${r.query}`);
}
